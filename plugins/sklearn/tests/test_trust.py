"""Safe by default: pickles need trust=True; skops types beyond the defaults need the caller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import flavorkit
from flavorkit import UntrustedModelError

GRID_TYPES = [
    "sklearn.metrics._scorer._PassthroughScorer",
    "sklearn.model_selection._split.StratifiedKFold",
]


def set_flavor_key(model_dir: Path, key: str, value: Any) -> None:
    data = yaml.safe_load((model_dir / "MLmodel").read_text())
    data["flavors"]["sklearn"][key] = value
    (model_dir / "MLmodel").write_text(yaml.safe_dump(data))


# -- pickle and cloudpickle ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pickle", "cloudpickle"])
def test_pickles_are_refused_without_trust(tmp_path: Path, iris: Any, logreg: Any, fmt: str):
    X, _ = iris
    flavorkit.save_model(logreg, tmp_path / "m", serialization_format=fmt)
    file = str(tmp_path / "m" / "model.pkl")
    for load in (flavorkit.load_model, flavorkit.load_native):
        with pytest.raises(UntrustedModelError, match="trust=True") as info:
            load(tmp_path / "m")
        assert file in str(info.value) and fmt in str(info.value)
    # listing skops types grants nothing for a pickle
    with pytest.raises(UntrustedModelError):
        flavorkit.load_native(tmp_path / "m", trusted_types=GRID_TYPES)
    model = flavorkit.load_model(tmp_path / "m", trust=True)
    np.testing.assert_array_equal(model.predict(X), logreg.predict(X))


# -- skops --------------------------------------------------------------------------------------


def test_skops_defaults_load_without_trust(tmp_path: Path, logreg: Any) -> None:
    flavorkit.save_model(logreg, tmp_path / "m")
    assert type(flavorkit.load_native(tmp_path / "m")).__name__ == "LogisticRegression"


def test_skops_types_beyond_defaults_are_recorded(tmp_path: Path, grid_search: Any) -> None:
    flavorkit.save_model(grid_search, tmp_path / "m")
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["sklearn"]
    assert conf["skops_trusted_types"] == GRID_TYPES  # for MLflow's loader; information only


def test_skops_untrusted_types_are_refused_and_listed(tmp_path: Path, grid_search: Any) -> None:
    flavorkit.save_model(grid_search, tmp_path / "m")
    for load in (flavorkit.load_model, flavorkit.load_native):
        with pytest.raises(UntrustedModelError) as info:
            load(tmp_path / "m")
        message = str(info.value)
        assert all(t in message for t in GRID_TYPES)
        assert "trusted_types=" in message and "trust=True" in message
        assert str(tmp_path / "m" / "model.skops") in message


def test_skops_types_listed_by_the_caller_are_accepted(
    tmp_path: Path, iris: Any, grid_search: Any
) -> None:
    X, _ = iris
    flavorkit.save_model(grid_search, tmp_path / "m")
    native = flavorkit.load_native(tmp_path / "m", trusted_types=GRID_TYPES)
    np.testing.assert_array_equal(native.predict(X), grid_search.predict(X))
    # a partial list still refuses, naming only what is missing
    with pytest.raises(UntrustedModelError) as info:
        flavorkit.load_native(tmp_path / "m", trusted_types=GRID_TYPES[:1])
    assert f"defaults: {GRID_TYPES[1:]!r}." in str(info.value)


def test_skops_trust_true_accepts_all(tmp_path: Path, iris: Any, grid_search: Any) -> None:
    X, _ = iris
    flavorkit.save_model(grid_search, tmp_path / "m")
    model = flavorkit.load_model(tmp_path / "m", trust=True)
    np.testing.assert_array_equal(model.predict(X), grid_search.predict(X))
    assert flavorkit.load_native(tmp_path / "m", trust=True) is not None


def test_mlmodel_skops_trusted_types_never_grants_trust(tmp_path: Path, grid_search: Any):
    """MLflow advisory #25686: a model listing its own types in MLmodel is still refused."""
    flavorkit.save_model(grid_search, tmp_path / "m", skops_trusted_types=GRID_TYPES)
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["sklearn"]
    assert conf["skops_trusted_types"] == GRID_TYPES
    with pytest.raises(UntrustedModelError, match="StratifiedKFold"):
        flavorkit.load_model(tmp_path / "m")
    # ...whatever the MLmodel claims
    set_flavor_key(tmp_path / "m", "skops_trusted_types", [*GRID_TYPES, "builtins.eval"])
    with pytest.raises(UntrustedModelError):
        flavorkit.load_native(tmp_path / "m")


def test_save_checks_the_callers_skops_trusted_types(tmp_path: Path, grid_search: Any) -> None:
    with pytest.raises(ValueError, match="_PassthroughScorer") as info:
        flavorkit.save_model(grid_search, tmp_path / "m", skops_trusted_types=GRID_TYPES[1:])
    assert "StratifiedKFold" not in str(info.value)
    assert not (tmp_path / "m").exists()
    with pytest.raises(TypeError, match="list of dotted type names"):
        flavorkit.save_model(grid_search, tmp_path / "m", skops_trusted_types=GRID_TYPES[0])


def test_trusted_types_must_be_a_list(tmp_path: Path, grid_search: Any) -> None:
    flavorkit.save_model(grid_search, tmp_path / "m")
    with pytest.raises(TypeError, match="list of dotted type names"):
        flavorkit.load_native(tmp_path / "m", trusted_types=GRID_TYPES[0])  # type: ignore[arg-type]


def test_serialization_format_from_mlmodel_cannot_bypass_trust(tmp_path: Path, logreg: Any) -> None:
    """A pickle relabelled as skops is read by skops (no code runs) and fails as unreadable."""
    flavorkit.save_model(logreg, tmp_path / "m", serialization_format="pickle")
    set_flavor_key(tmp_path / "m", "serialization_format", "skops")
    with pytest.raises(flavorkit.FlavorkitError, match="not a readable skops file"):
        flavorkit.load_model(tmp_path / "m")


def test_model_path_cannot_leave_the_directory(tmp_path: Path, logreg: Any) -> None:
    flavorkit.save_model(logreg, tmp_path / "m")
    set_flavor_key(tmp_path / "m", "pickled_model", "../elsewhere.pkl")
    with pytest.raises(flavorkit.ModelPathError, match=r"sklearn\.pickled_model"):
        flavorkit.load_model(tmp_path / "m")


def test_corrupt_skops_file_is_named(tmp_path: Path, logreg: Any) -> None:
    flavorkit.save_model(logreg, tmp_path / "m")
    (tmp_path / "m" / "model.skops").write_bytes(b"not a zip")
    with pytest.raises(flavorkit.FlavorkitError, match=r"model\.skops"):
        flavorkit.load_model(tmp_path / "m")
