"""What a save writes, a load can read: models a format cannot rebuild are refused at save."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import flavorkit

X = np.random.default_rng(0).normal(size=(20, 3))
Y = X.sum(axis=1)


def _nested() -> object:
    def double(a: np.ndarray) -> np.ndarray:
        return a * 2

    return double


def _with(func: object) -> object:
    return make_pipeline(FunctionTransformer(func), LinearRegression()).fit(X, Y)


@pytest.mark.parametrize(
    ("func", "shown"),
    [(lambda a: a * 2, "<lambda>"), (_nested(), "double")],
    ids=["lambda", "nested-function"],
)
def test_skops_refuses_functions_a_load_cannot_find(
    tmp_path: Path, func: object, shown: str
) -> None:
    with pytest.raises(ValueError, match=f"refers to .*{shown}.* a load cannot find") as info:
        flavorkit.save_model(_with(func), tmp_path / "m", input_example=X[:2])
    assert "serialization_format='cloudpickle'" in str(info.value)
    assert not (tmp_path / "m").exists()


def test_pickle_refuses_a_lambda_in_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"pickle cannot save this Pipeline .*'cloudpickle'"):
        flavorkit.save_model(_with(lambda a: a * 2), tmp_path / "m", serialization_format="pickle")
    assert not (tmp_path / "m").exists()


def test_cloudpickle_records_the_lambda_and_loads_it(tmp_path: Path) -> None:
    pytest.importorskip("cloudpickle", reason="the sklearn test extra installs cloudpickle")
    model = _with(lambda a: a * 2)
    flavorkit.save_model(model, tmp_path / "m", serialization_format="cloudpickle")
    loaded = flavorkit.load_model(tmp_path / "m", trust=True)
    np.testing.assert_allclose(loaded.predict(X[:3]), model.predict(X[:3]))


def test_module_level_functions_save_and_load_with_skops(tmp_path: Path) -> None:
    model = make_pipeline(FunctionTransformer(np.log1p), LinearRegression()).fit(np.abs(X), Y)
    flavorkit.save_model(model, tmp_path / "m", input_example=np.abs(X[:2]))
    loaded = flavorkit.load_model(tmp_path / "m", trusted_types=["numpy.log1p"])
    np.testing.assert_allclose(loaded.predict(np.abs(X[:3])), model.predict(np.abs(X[:3])))


def test_a_function_of_the_running_script_warns(tmp_path: Path) -> None:
    """``__main__.f`` loads in that script only: saved, with a warning saying so."""
    script = textwrap.dedent(
        f"""
        import warnings
        import numpy as np
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer
        import flavorkit

        def double(a):
            return a * 2

        X = np.random.default_rng(0).normal(size=(20, 3))
        model = make_pipeline(FunctionTransformer(double), LinearRegression()).fit(X, X.sum(1))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            flavorkit.save_model(model, {str(tmp_path / "m")!r})
        print(any("__main__" in str(w.message) for w in caught))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == "True"
    assert (tmp_path / "m" / "MLmodel").exists()
