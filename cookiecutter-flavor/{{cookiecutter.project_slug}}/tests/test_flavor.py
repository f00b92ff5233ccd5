"""What the conformance suite cannot know: this flavor's own options, files and errors.

REPLACE THIS: keep one test per behaviour of your flavor (its save options, the files it writes,
the errors it raises on a damaged file); the example's are below.
"""

import json
from pathlib import Path

import flavorkit
import pytest
from flavorkit.errors import FlavorkitError, IntegrityError
from flavorkit.integrity import MANIFEST_FILE

from {{ cookiecutter.__package_name }}.example_model import NearestCentroid


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    model = NearestCentroid().fit([[0.0, 0.0], [4.0, 4.0]], ["low", "high"])
    flavorkit.save_model(model, tmp_path / "model")
    return tmp_path / "model"


def test_model_is_saved_as_json(saved: Path) -> None:
    document = json.loads((saved / "model.json").read_text(encoding="utf-8"))
    assert document["labels"] == ["high", "low"]
    assert flavorkit.load_native(saved).predict([[3.0, 5.0]]).tolist() == ["high"]


def test_unknown_save_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown save option.*zip"):
        flavorkit.save_model(NearestCentroid([[0.0]], [0]), tmp_path / "m", zip=True)


def _without_manifest(saved: Path) -> Path:
    """The model as MLflow would have saved it: no flavorkit manifest, so your reader is reached.

    (With the manifest, flavorkit's own size check names a changed file first.)
    """
    (saved / MANIFEST_FILE).unlink()
    return saved


def test_damaged_model_file_is_named(saved: Path) -> None:
    (saved / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IntegrityError, match="model.json"):
        flavorkit.load_native(saved)
    with pytest.raises(FlavorkitError, match="model.json: not a readable"):
        flavorkit.load_native(_without_manifest(saved))


def test_newer_format_is_refused(saved: Path) -> None:
    file = saved / "model.json"
    file.write_text(json.dumps({**json.loads(file.read_text()), "format_version": 99}))
    with pytest.raises(FlavorkitError, match="format_version 99"):
        flavorkit.load_native(_without_manifest(saved))
