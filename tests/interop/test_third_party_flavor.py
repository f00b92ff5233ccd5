"""A flavor MLflow does not have loads in MLflow through ``flavorkit.mlflow_loader._load_pyfunc``.

The flavor is the cookiecutter template's example plugin (a nearest-centroid classifier saved as
JSON), baked as a plugin author would and installed the way pip lays a wheel out: the package and
a ``*.dist-info`` with its entry point, on ``PYTHONPATH``. Two fresh processes then play the two
sides: one saves with flavorkit (and never imports MLflow); one loads with
``mlflow.pyfunc.load_model``, in which nothing was registered by hand: MLflow imports
``flavorkit.mlflow_loader`` because MLmodel names it, and flavorkit finds the plugin by its entry
point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from interop_env import need, need_mlflow

need_mlflow()
need("cookiecutter", "the flavor MLflow lacks is the cookiecutter template's baked example")

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "cookiecutter-flavor"
FLAVOR = "centroid"
PACKAGE = f"flavorkit_{FLAVOR}"

SAVE = """
import json, sys
import numpy as np
from sklearn.datasets import load_iris
import flavorkit
from {package}.example_model import NearestCentroid

X, y = load_iris(return_X_y=True)
model = NearestCentroid().fit(X, y)
info = flavorkit.save_model(model, sys.argv[1], input_example=X[:3].astype(np.float64))
fresh = np.random.default_rng(3).normal(X.mean(axis=0), X.std(axis=0), size=(20, 4))
np.save(sys.argv[2], fresh)
print(json.dumps({{
    "flavors": sorted(info.flavors),
    "loader_module": info.flavors["python_function"]["loader_module"],
    "predictions": flavorkit.load_model(sys.argv[1]).predict(fresh).tolist(),
    "mlflow_imported": "mlflow" in sys.modules,
}}))
"""

LOAD = """
import json, sys
import numpy as np
import mlflow.pyfunc

model = mlflow.pyfunc.load_model(sys.argv[1])
fresh = np.load(sys.argv[2])
print(json.dumps({
    "predictions": model.predict(fresh).tolist(),
    "example_predictions": model.predict(model.input_example).tolist(),
    "wrapper": type(model._model_impl).__module__,
    "raw": type(model.get_raw_model()).__qualname__,
    "signature_inputs": model.metadata.signature.inputs.to_json(),
}))
"""


def bake(where: Path) -> Path:
    """The template baked non-interactively; cookiecutter's state stays under ``where``."""
    from cookiecutter.main import cookiecutter

    state = where / ".cookiecutter"
    state.mkdir(parents=True)
    config = state / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {"cookiecutters_dir": str(state / "templates"), "replay_dir": str(state / "replay")}
        )
    )
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            extra_context={"flavor_name": FLAVOR},
            output_dir=str(where / "out"),
            config_file=str(config),
        )
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory holding the baked plugin as pip would install it."""
    where = tmp_path_factory.mktemp("template")
    project = bake(where)
    site = where / "site"
    shutil.copytree(project / "src" / PACKAGE, site / PACKAGE)
    info = site / f"{PACKAGE}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: flavorkit-{FLAVOR}\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text(
        f"[flavorkit.flavors]\n{FLAVOR} = {PACKAGE}:CentroidFlavor\n"
    )
    (info / "RECORD").write_text("")
    return site


def run(script: str, *args: str, site: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLAVORKIT_")}
    env["PYTHONPATH"] = str(site)
    env["FLAVORKIT_STRICT_PLUGINS"] = "1"  # a broken plugin fails the test, not just warns
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def test_template_flavor_loads_in_mlflow(site: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    fresh = tmp_path / "fresh.npy"
    saved = run(SAVE.format(package=PACKAGE), str(model), str(fresh), site=site)
    assert saved["mlflow_imported"] is False
    assert saved["flavors"] == [FLAVOR, "python_function"]
    assert saved["loader_module"] == "flavorkit.mlflow_loader"

    loaded = run(LOAD, str(model), str(fresh), site=site)
    assert loaded["wrapper"] == "flavorkit.mlflow_loader"
    assert loaded["raw"] == "NearestCentroid"
    assert loaded["predictions"] == saved["predictions"]
    assert len(set(loaded["predictions"])) > 1  # type: ignore[arg-type]  # not one constant label
    assert loaded["example_predictions"] == [0, 0, 0]  # the first three iris rows: setosa
    import flavorkit

    signature = flavorkit.Model.load(model).signature
    assert signature is not None and signature.inputs is not None
    assert loaded["signature_inputs"] == signature.inputs.to_json()
