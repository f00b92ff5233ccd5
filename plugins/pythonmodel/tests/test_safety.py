"""Loading runs code only with the caller's say-so, and every path stays inside the model."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from pythonmodel_helpers import CODE_MODEL, DATA, models

import flavorkit
from flavorkit import FlavorkitError, ModelPathError, UntrustedModelError
from flavorkit.errors import IntegrityError
from flavorkit.integrity import MANIFEST_FILE
from flavorkit_pythonmodel import ModelFromCode

X = models.frame()
WEIGHTS = {"weights": str(DATA / "weights.json")}


def edit_pyfunc(model_dir: Path, **keys: Any) -> None:
    data = yaml.safe_load((model_dir / "MLmodel").read_text())
    data["flavors"]["python_function"].update(keys)
    (model_dir / "MLmodel").write_text(yaml.safe_dump(data))


@pytest.fixture
def saved(tmp_path: Path) -> dict[str, Path]:
    """One model per way of recording it."""
    paths = {k: tmp_path / k for k in ("reference", "cloudpickle", "code")}
    flavorkit.save_model(models.WeightedSum(), paths["reference"], artifacts=WEIGHTS)
    flavorkit.save_model(
        models.WeightedSum(), paths["cloudpickle"], artifacts=WEIGHTS, serialization="cloudpickle"
    )
    flavorkit.save_model(ModelFromCode(CODE_MODEL), paths["code"])
    return paths


# -- trust ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "file", "why"),
    [
        ("reference", "MLmodel", "pythonmodel_helpers.models:WeightedSum"),
        ("cloudpickle", "python_model.pkl", "unpickling runs code"),
        ("code", "code_model.py", "model from code"),
    ],
)
def test_untrusted_loads_are_refused(saved: dict[str, Path], kind: str, file: str, why: str):
    for load in (flavorkit.load_model, flavorkit.load_native):
        with pytest.raises(UntrustedModelError, match="trust=True") as info:
            load(saved[kind])
        assert str(saved[kind] / file) in str(info.value) and why in str(info.value)
    native = flavorkit.load_native(saved[kind], trust=True)
    assert native.predict is not None


def test_untrusted_code_file_is_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    script = tmp_path / "model.py"
    script.write_text(
        CODE_MODEL.read_text() + f"\nopen({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8"
    )
    flavorkit.save_model(ModelFromCode(script), tmp_path / "m")
    marker.unlink()  # saving ran the caller's own file, as MLflow does
    with pytest.raises(UntrustedModelError):
        flavorkit.load_model(tmp_path / "m")
    assert not marker.exists()


def test_the_caller_can_pass_the_class_instead_of_trust(saved: dict[str, Path]) -> None:
    model = flavorkit.load_model(saved["reference"], python_model_class=models.WeightedSum)
    np.testing.assert_allclose(model.predict(X), X["a"] * 2.0 - X["b"])
    code = flavorkit.load_model(saved["code"], python_model_class=models.FrameIn)
    assert type(code.get_raw_model()) is models.FrameIn  # the file was not run
    with pytest.raises(FlavorkitError, match="cannot stand in"):
        flavorkit.load_model(saved["cloudpickle"], python_model_class=models.WeightedSum)


def test_a_different_class_given_is_used_with_a_warning(saved: dict[str, Path]) -> None:
    with pytest.warns(UserWarning, match="saved as 'pythonmodel_helpers.models:WeightedSum'"):
        model = flavorkit.load_native(saved["reference"], python_model_class=models.Loaded)
    assert type(model) is models.Loaded


def test_unknown_load_option_is_refused(saved: dict[str, Path]) -> None:
    with pytest.raises(TypeError, match="python_model_class"):
        flavorkit.load_model(saved["reference"], trust=True, trusted_types=["x"])


def test_code_dir_is_on_sys_path_only_while_importing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "shipped_model_mod.py").write_text(
        "from flavorkit_pythonmodel import PythonModel\n"
        "class Neg(PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return -model_input\n"
    )
    sys.path.insert(0, str(src))
    try:
        import shipped_model_mod

        flavorkit.save_model(
            shipped_model_mod.Neg(), tmp_path / "m", code_paths=[src / "shipped_model_mod.py"]
        )
    finally:
        sys.path.remove(str(src))
        sys.modules.pop("shipped_model_mod", None)
    before = list(sys.path)
    with pytest.raises(UntrustedModelError):  # nothing imported, sys.path untouched
        flavorkit.load_model(tmp_path / "m")
    assert "shipped_model_mod" not in sys.modules and sys.path == before
    try:
        model = flavorkit.load_model(tmp_path / "m", trust=True)
        assert sys.modules["shipped_model_mod"].__file__ == str(
            tmp_path / "m" / "code" / "shipped_model_mod.py"
        )
        assert sys.path == before  # removed again after the import
        np.testing.assert_array_equal(model.predict(np.array([1, 2])), [-1, -2])
    finally:
        sys.modules.pop("shipped_model_mod", None)


# -- paths ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside.json", "climbs out"),
        ("/etc/passwd", "is absolute"),
        ("link/w.json", "leads out"),
    ],
)
def test_artifact_paths_stay_inside(saved: dict[str, Path], path: str, message: str) -> None:
    model_dir = saved["reference"]
    (model_dir / "link").symlink_to(DATA, target_is_directory=True)
    (model_dir.parent / "outside.json").write_text("{}")
    edit_pyfunc(model_dir, artifacts={"weights": {"path": path, "uri": "x"}})
    for load in (flavorkit.load_model, flavorkit.load_native):
        with pytest.raises(ModelPathError, match=message) as info:
            load(model_dir, trust=True)
        assert "python_function.artifacts.weights.path" in str(info.value)


def test_missing_artifact_is_named(saved: dict[str, Path]) -> None:
    (saved["reference"] / "artifacts" / "weights.json").unlink()
    with pytest.raises(IntegrityError, match=r"artifacts/weights\.json is missing; the manifest"):
        flavorkit.load_model(saved["reference"], trust=True)  # the core's manifest check first
    (saved["reference"] / MANIFEST_FILE).unlink()  # a model without one (MLflow's): the plugin's
    with pytest.raises(FlavorkitError, match=r"artifacts.weights.path.*'artifacts/weights.json'"):
        flavorkit.load_model(saved["reference"], trust=True)


def test_pickle_and_code_paths_stay_inside(saved: dict[str, Path], tmp_path: Path) -> None:
    edit_pyfunc(saved["cloudpickle"], python_model="../cloudpickle/python_model.pkl")
    with pytest.raises(ModelPathError, match=r"python_function\.python_model"):
        flavorkit.load_model(saved["cloudpickle"], trust=True)
    # model_code_path: only the basename is used (as MLflow does), and it may not be a link out
    outside = tmp_path / "elsewhere.py"
    outside.write_text(CODE_MODEL.read_text())
    os.symlink(outside, saved["code"] / "elsewhere.py")
    edit_pyfunc(saved["code"], model_code_path="/any/dir/elsewhere.py")
    with pytest.raises(ModelPathError, match="leads out"):
        flavorkit.load_model(saved["code"], trust=True)
