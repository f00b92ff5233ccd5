"""Loading a skops model in a fresh process imports no array library the model does not use.

``import skops.io`` walks scikit-learn's packages, and the walk imports torch through
scikit-learn's vendored array-API wrapper when torch is installed (about 2 s of a cold start;
see ``flavorkit_sklearn._skops_import``). These checks run in fresh interpreters, because the
cost and the fix both happen at first import.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import flavorkit

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="torch is not installed here, so skops' walk has no torch to import; the interop "
    "nox session (`python3 -m nox -s interop`) installs torch and runs this module",
)


def _run(code: str, **env: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def skops_model(tmp_path_factory: pytest.TempPathFactory, logreg: Any) -> Path:
    from sklearn.datasets import load_iris

    path = tmp_path_factory.mktemp("cold") / "model"
    flavorkit.save_model(logreg, path, input_example=load_iris(as_frame=True).data.head(3))
    return path


@needs_torch
def test_load_and_predict_import_no_torch(skops_model: Path) -> None:
    out = _run(
        f"""
        import sys
        import pandas as pd
        import flavorkit
        m = flavorkit.load_model({str(skops_model)!r})
        x = pd.DataFrame([[5.1, 3.5, 1.4, 0.2]], columns=m.signature.inputs.input_names())
        print(m.predict(x).tolist(), "torch" in sys.modules)
        """
    )
    assert out == "[0] False"


@needs_torch
def test_torch_array_api_still_works_after_a_skops_load(skops_model: Path) -> None:
    """The wrapper skipped during the walk imports normally when scikit-learn needs it."""
    out = _run(
        f"""
        import flavorkit
        flavorkit.load_model({str(skops_model)!r})
        import torch
        import sklearn
        from sklearn.utils._array_api import get_namespace
        with sklearn.config_context(array_api_dispatch=True):
            xp, _ = get_namespace(torch.ones(2))
        print("torch" in xp.__name__)
        """,
        SCIPY_ARRAY_API="1",  # scikit-learn's array-API dispatch requires it
    )
    assert out == "True"


@needs_torch
def test_an_already_imported_torch_is_left_alone(skops_model: Path) -> None:
    out = _run(
        f"""
        import sys
        import torch
        import flavorkit
        flavorkit.load_model({str(skops_model)!r})
        print("sklearn.externals.array_api_compat.torch" in sys.modules)
        """
    )
    assert out == "True"


def test_skops_models_still_load_and_predict_in_process(
    skops_model: Path, iris: tuple[pd.DataFrame, pd.Series], logreg: Any
) -> None:
    X, _ = iris
    model = flavorkit.load_model(skops_model)
    assert (model.predict(X.head(5)) == logreg.predict(X.head(5))).all()
