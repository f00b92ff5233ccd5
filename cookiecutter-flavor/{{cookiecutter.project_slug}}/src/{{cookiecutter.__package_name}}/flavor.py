"""The ``{{ cookiecutter.__flavor }}`` flavor: how {{ cookiecutter.framework_import_name }} models are saved, loaded and predicted with.

flavorkit does the rest once, for every flavor: the MLmodel file, the signature and input
example, requirements.txt / python_env.yaml / conda.yaml, the atomic write of the model
directory and the ``python_function`` bookkeeping. A flavor only writes and reads its files.

Two rules keep the plugin safe and cheap to discover:

* **No framework import at module level.** This module is imported (through the package) to
  discover flavors; import the framework inside the methods that need it.
* **Safe by default.** Save in a format that runs no code when loaded. If you add a format that
  does (pickle), call ``flavorkit.safety.require_trust(trust, file, why)`` in :meth:`load` before
  reading it, and mark such conformance cases ``trust=True``.

The parts marked REPLACE THIS handle the example model (``example_model.NearestCentroid``) and
are where your framework's code goes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flavorkit.errors import FlavorkitError
from flavorkit.flavor import Flavor, SavedFlavor
from flavorkit.safety import model_file

__all__ = ["FLAVOR_NAME", "MODEL_FILE", "{{ cookiecutter.__class_name }}"]

FLAVOR_NAME = "{{ cookiecutter.__flavor }}"
#: The model file inside the model directory (MLmodel's ``{{ cookiecutter.__flavor }}.data``).
MODEL_FILE = "model.json"  # REPLACE THIS: your framework's file name, e.g. "model.txt"
#: Bumped when the file layout changes, so that old plugins refuse new files clearly.
FORMAT_VERSION = 1


class {{ cookiecutter.__class_name }}(Flavor):
    """The ``{{ cookiecutter.__flavor }}`` flavor. Save options: none yet (unknown ones are refused)."""

    name = FLAVOR_NAME
    # REPLACE THIS: the dotted names of your framework's model classes; a model whose class (or a
    # base class) is listed here is saved with this flavor, e.g. ("lightgbm.basic.Booster",).
    # Strings, so that detecting a model's flavor imports no framework.
    model_types = ("{{ cookiecutter.__package_name }}.example_model.NearestCentroid",)
    package = "{{ cookiecutter.project_slug }}"

    def save(self, model: Any, path: Path, **options: Any) -> SavedFlavor:
        """Write ``model`` into the empty directory ``path``; return its MLmodel sections."""
        if options:
            raise TypeError(
                f"{FLAVOR_NAME}: unknown save option(s) {', '.join(sorted(options))}; the "
                f"{FLAVOR_NAME} flavor accepts none."
            )
        # REPLACE THIS: save with your framework's own format, e.g.
        # model.save_model(str(path / MODEL_FILE)).
        document = {
            "format_version": FORMAT_VERSION,
            "centroids": model.centroids,
            "labels": model.labels,
        }
        (path / MODEL_FILE).write_text(json.dumps(document), encoding="utf-8")
        # The flavor's MLmodel section (record what a loader needs: file, format, versions), and
        # the python_function keys: flavorkit.mlflow_loader is how MLflow loads the model.
        conf = {"data": MODEL_FILE, "format_version": FORMAT_VERSION}
        pyfunc = {"loader_module": "flavorkit.mlflow_loader", "data": MODEL_FILE}
        return SavedFlavor(conf, pyfunc)

    def load(
        self, path: Path, conf: dict[str, Any], *, trust: bool, **options: Any
    ) -> Any:
        """The native model saved in ``path``; ``conf`` is this flavor's MLmodel section."""
        if options:
            raise TypeError(
                f"{FLAVOR_NAME}: unknown load option(s) {', '.join(sorted(options))}; the "
                f"{FLAVOR_NAME} flavor accepts none."
            )
        # Every path read from MLmodel goes through model_file: it refuses paths leading out of
        # the model directory.
        file = model_file(path, conf.get("data", MODEL_FILE), key=f"{FLAVOR_NAME}.data")
        # REPLACE THIS: import your framework here, never at module level, and load the file,
        # e.g. return lightgbm.Booster(model_file=str(file)).
        from {{ cookiecutter.__package_name }}.example_model import NearestCentroid

        try:
            document = json.loads(file.read_text(encoding="utf-8"))
            version = document["format_version"]
            centroids, labels = document["centroids"], document["labels"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise FlavorkitError(
                f"{file}: not a readable {FLAVOR_NAME} model file ({type(e).__name__}: {e})."
            ) from e
        if version != FORMAT_VERSION:
            raise FlavorkitError(
                f"{file}: format_version {version!r} is not {FORMAT_VERSION}, the one this "
                f"version of {self.package} reads; install the version that saved it."
            )
        return NearestCentroid(centroids, labels)

    def default_pip_requirements(self, **options: Any) -> list[str]:
        """What every model of this flavor needs to load, pinned to the installed versions.

        flavorkit adds itself, this plugin and the distributions of the model's own types.
        """
        from flavorkit.environment import pinned_requirement

        return [pinned_requirement("{{ cookiecutter.framework_pypi_name }}")]

    # The default predictor calls ``model.predict(data)`` (with ``params=`` if the method
    # declares it). Override ``predictor(self, model, conf, pyfunc_conf)`` if your framework
    # predicts some other way, e.g. returning a DataFrame with named outputs.
