"""The conformance checks that must run in a fresh interpreter, as this script's two commands.

Why a subprocess: "importing the plugin does not import its framework" can only be observed in a
process that has not imported the framework yet, and MLflow's loader contract must hold in a
process that has only the model directory, as in a scoring container. The suite runs this file
with ``runpy.run_path`` so that ``flavorkit.testing`` (and pytest) are not imported here.

``import-light SPEC OUT``
    Install an import watcher, then discover the flavor as flavorkit does (the entry point, or the
    in-process plugin object) and report which watched modules got imported, and from where.

``mlflow-contract SPEC OUT``
    For each case: ``importlib.import_module(loader_module)._load_pyfunc(data_path[, config])``,
    enforce the signature on each input (MLflow enforces before calling the model), call
    ``predict_fn(data, params=...)`` and pickle the outputs (or the traceback) to ``OUT``.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import sys
import traceback
from typing import Any


def _resolve(ref: str) -> Any:
    """``module:qualname`` -> the object."""
    module_name, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        obj = getattr(obj, part)
    return obj


class _ImportWatcher:
    """A meta-path finder that records the stack that first imports each watched module."""

    def __init__(self, watched: list[str]):
        self.watched = set(watched)
        self.stacks: dict[str, list[str]] = {}

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        top = name.partition(".")[0]
        if top in self.watched and top not in self.stacks:
            frames = [
                f"{f.filename}:{f.lineno} ({f.name}): {(f.line or '').strip()}"
                for f in traceback.extract_stack()[:-1]
                if not f.filename.startswith("<") and f.filename != __file__
            ]
            self.stacks[top] = frames[-8:]
        return None


def import_light(spec: dict[str, Any]) -> dict[str, Any]:
    watcher = _ImportWatcher(spec["modules"])
    sys.meta_path.insert(0, watcher)
    already = sorted(m for m in spec["modules"] if m in sys.modules)
    from flavorkit import plugins

    if spec.get("plugin"):
        registry = plugins.reset_registry([_resolve(spec["plugin"])], discover=False)
    else:
        registry = plugins.get_registry()
    info = registry.flavor(spec["flavor"])
    imported = {m: watcher.stacks.get(m, []) for m in spec["modules"] if m in sys.modules}
    return {"flavor": info.name, "imported": imported, "already": already}


def mlflow_contract(spec: dict[str, Any]) -> dict[str, Any]:
    from flavorkit.enforce import enforce_params, enforce_schema
    from flavorkit.flavor import accepts_params
    from flavorkit.mlflow_loader import TRUST_ENV
    from flavorkit.mlmodel import Model

    if spec.get("plugin"):
        from flavorkit import plugins

        plugins.reset_registry([_resolve(spec["plugin"])], discover=False)
    with open(spec["inputs"], "rb") as f:
        inputs = pickle.load(f)  # noqa: S301 - written by the test process that started us
    results: dict[str, Any] = {}
    for case in spec["cases"]:
        if case["trust"]:
            os.environ[TRUST_ENV] = "1"
        else:
            os.environ.pop(TRUST_ENV, None)
        try:
            if case.get("code"):
                sys.path.insert(0, case["code"])  # as MLflow does, and never removes it
            module = importlib.import_module(case["loader_module"])
            config = case["config"]
            impl = (
                module._load_pyfunc(case["data_path"], config)
                if config
                else module._load_pyfunc(case["data_path"])
            )
            fn = getattr(impl, case["predict_fn"])
            takes_params = accepts_params(fn)
            meta = Model.load(case["root"])
            sig = meta.signature
            outputs = []
            for data, params in inputs[case["id"]]:
                enforce = sig is not None and not meta.is_signature_from_type_hint
                if enforce and sig is not None and sig.inputs is not None:
                    data = enforce_schema(data, sig.inputs)
                if params is not None or (sig is not None and sig.params is not None):
                    params = enforce_params(params, sig.params if sig is not None else None)
                outputs.append(fn(data, params=params) if takes_params else fn(data))
            pickle.dumps(outputs)  # fail here, for this case, if the outputs cannot travel back
            results[case["id"]] = {"outputs": outputs}
        except BaseException:
            results[case["id"]] = {"error": traceback.format_exc()}
    return results


def main(argv: list[str]) -> None:
    command, spec_file, out_file = argv
    with open(spec_file, encoding="utf-8") as f:
        spec = json.load(f)
    if command == "import-light":
        with open(out_file, "w", encoding="utf-8") as f:
            json.dump(import_light(spec), f)
    elif command == "mlflow-contract":
        results = mlflow_contract(spec)
        with open(out_file, "wb") as fb:
            pickle.dump(results, fb)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
