"""flavorkit-onnx: ONNX models in MLflow's ``onnx`` layout, run with onnxruntime.

The entry point ``onnx = "flavorkit_onnx:OnnxFlavor"`` registers :class:`OnnxFlavor`, so
``flavorkit.save_model(model_proto, path)`` detects an ``onnx.ModelProto`` and
``flavorkit.load_model(path)`` loads models saved by flavorkit or by ``mlflow.onnx``. A path to a
``.onnx`` file is saved too, with ``flavor="onnx"`` (a string cannot be told from any other).

This module is imported to discover and detect flavors, so it imports no onnx, onnxruntime,
numpy or pandas. The work lives in private modules, one idea each, imported when needed:

* :mod:`flavorkit_onnx._files`: writing ``model.onnx`` with its external data without touching
  the caller's model, and reading it back whole, with every side file inside the directory;
* :mod:`flavorkit_onnx._graph`: the signature read from the graph's typed inputs and outputs;
* :mod:`flavorkit_onnx._session`: the ``InferenceSession``: providers and session options;
* :mod:`flavorkit_onnx._predict`: mapping dicts, arrays and DataFrames to the graph's inputs, and
  outputs back to a dict or a DataFrame.

A model :func:`flavorkit.load_model` loads gets its session opened from the file (onnxruntime then
reads the external data itself, also past protobuf's 2 GB limit) with the caller's ``providers``:
both reach :meth:`OnnxFlavor.predictor` through the core's predictor context. The flavor is
``native_on_demand``: ``load_model`` imports onnxruntime only, and the ``ModelProto`` is parsed
(with ``onnx``) when ``get_raw_model()`` first asks for it, so a cold start costs about what
onnxruntime alone does. onnxruntime refuses external data outside the model's directory itself.

ONNX files run no code when loaded, so nothing here needs ``trust=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flavorkit.flavor import Flavor, FrameworkVersion, Predictor, PredictorContext, SavedFlavor

__version__ = "0.1.0"

__all__ = [
    "OnnxFlavor",
    "ProviderUnavailableWarning",
    "FLAVOR_NAME",
    "LOADER_MODULE",
    "MODEL_FILE",
    "EXTERNAL_DATA_FILE",
    "DEFAULT_PROVIDERS",
    "DEFAULT_SIZE_THRESHOLD",
    "SESSION_OPTION_KEYS",
    "SAVE_OPTIONS",
    "LOAD_OPTIONS",
]

FLAVOR_NAME = "onnx"
#: ``python_function.loader_module`` of the models this flavor writes and of ``mlflow.onnx``'s.
LOADER_MODULE = "mlflow.onnx"
#: The graph, as MLflow names it (``flavors.onnx.data`` and ``python_function.data``).
MODEL_FILE = "model.onnx"
#: The one side file holding the tensors saved as external data (MLflow's is a random uuid name).
EXTERNAL_DATA_FILE = "model.onnx.data"
#: MLflow's default ``providers``: the GPU when onnxruntime has one, else the CPU.
DEFAULT_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")
#: Initializers of at least this many bytes go to the external data file (onnx's default).
DEFAULT_SIZE_THRESHOLD = 1024
#: The ``onnx_session_options`` keys MLflow applies when it opens a session (it ignores others).
SESSION_OPTION_KEYS = (
    "inter_op_num_threads",
    "intra_op_num_threads",
    "execution_mode",
    "graph_optimization_level",
    "extra_session_config",
)
#: The keyword options :meth:`OnnxFlavor.save` accepts (``flavorkit.save_model(**options)``).
SAVE_OPTIONS = (
    "onnx_execution_providers",
    "onnx_session_options",
    "save_as_external_data",
    "external_data_size_threshold",
)
#: The keyword options :meth:`OnnxFlavor.load` accepts (``flavorkit.load_model(**options)``).
LOAD_OPTIONS = ("providers",)


class ProviderUnavailableWarning(UserWarning):
    """An execution provider the model (or the caller) asks for is not in this onnxruntime build.

    Warned once per session opened, naming the providers dropped and those used; filter it with
    ``warnings.filterwarnings("ignore", category=ProviderUnavailableWarning)`` on CPU machines.
    """


def check_providers(value: Any, what: str) -> list[str]:
    """``value`` as a list of provider names; a clear TypeError for anything else."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise TypeError(
            f"onnx: {what} must be a non-empty list of onnxruntime execution provider names, "
            f"e.g. {list(DEFAULT_PROVIDERS)}; got {value!r}."
        )
    bad = [p for p in value if not isinstance(p, str) or not p]
    if bad:
        raise TypeError(f"onnx: {what} must hold provider names as strings; got {bad!r}.")
    return list(value)


def _reject_unknown(options: Mapping[str, Any], known: Sequence[str], what: str) -> None:
    if options:
        raise TypeError(
            f"onnx: unknown {what} option(s) {', '.join(sorted(options))}; the onnx flavor "
            f"accepts {', '.join(known)}."
        )


def _chosen_providers(options: Mapping[str, Any]) -> list[str] | None:
    """The caller's ``providers`` load option, checked (None if not given); any other load
    option is refused. Both ``load`` and the predictor, which ``load_model`` calls without
    ``load`` (the flavor is ``native_on_demand``), check the options with it."""
    rest = dict(options)
    providers = rest.pop("providers", None)
    _reject_unknown(rest, LOAD_OPTIONS, "load")
    return None if providers is None else check_providers(providers, "providers")


def _model_file_of(path: Path, conf: dict[str, Any]) -> Path:
    """The ``.onnx`` file of the model directory ``path``, from the section's ``data`` key."""
    from flavorkit.errors import FlavorkitError
    from flavorkit.mlmodel import PYFUNC_FLAVOR
    from flavorkit.safety import model_file

    section = PYFUNC_FLAVOR if "loader_module" in conf else "onnx"
    data = conf.get("data")
    if not data:
        raise FlavorkitError(
            f"{path}: MLmodel key '{section}.data' is missing; it names the model's .onnx file "
            "(MLflow writes 'data: model.onnx')."
        )
    file = model_file(path, data, key=f"{section}.data")
    if not file.is_file():
        what = "a directory" if file.is_dir() else "missing"
        raise FlavorkitError(f"{file}: the ONNX model file (MLmodel '{section}.data') is {what}.")
    return file


class OnnxFlavor(Flavor):
    """The ``onnx`` flavor: an ``onnx.ModelProto`` (or a ``.onnx`` file), saved as MLflow does.

    Save options (keywords of :func:`flavorkit.save_model`):

    * ``onnx_execution_providers``: the providers a session tries, in order; recorded in
      MLmodel as ``providers`` (default :data:`DEFAULT_PROVIDERS`, as MLflow).
    * ``onnx_session_options``: a dict of the :data:`SESSION_OPTION_KEYS`, recorded as given
      and applied whenever the model is loaded (other keys are refused: MLflow would ignore them).
    * ``save_as_external_data``: write initializers of at least ``external_data_size_threshold``
      bytes (default :data:`DEFAULT_SIZE_THRESHOLD`) to :data:`EXTERNAL_DATA_FILE` beside
      ``model.onnx`` (default True, as MLflow). Needed for models past protobuf's 2 GB limit.

    Load options (keywords of :func:`flavorkit.load_model` / ``load_native``):

    * ``providers``: providers to use instead of those recorded in MLmodel.

    Without a ``signature=``, the model's signature is read from the graph: one named tensor per
    graph input and output, dtype from its element type, symbolic or unknown dims as -1.
    """

    name = FLAVOR_NAME
    model_types = ("onnx.onnx_ml_pb2.ModelProto",)
    package = "flavorkit-onnx"
    framework_package = "onnx"
    framework_version_key = "onnx_version"
    loader_modules = (LOADER_MODULE,)
    native_on_demand = True  # load_model opens the session from the file; no onnx import

    def save(
        self,
        model: Any,
        path: Path,
        *,
        onnx_execution_providers: Sequence[str] | None = None,
        onnx_session_options: Mapping[str, Any] | None = None,
        save_as_external_data: bool = True,
        external_data_size_threshold: int = DEFAULT_SIZE_THRESHOLD,
        **options: Any,
    ) -> SavedFlavor:
        _reject_unknown(options, SAVE_OPTIONS, "save")
        providers = check_providers(
            DEFAULT_PROVIDERS if onnx_execution_providers is None else onnx_execution_providers,
            "onnx_execution_providers",
        )
        if not isinstance(save_as_external_data, bool):
            raise TypeError(
                f"onnx: save_as_external_data must be True or False, got {save_as_external_data!r}."
            )
        if (
            not isinstance(external_data_size_threshold, int)
            or isinstance(external_data_size_threshold, bool)
            or external_data_size_threshold < 0
        ):
            raise TypeError(
                "onnx: external_data_size_threshold must be a number of bytes >= 0, got "
                f"{external_data_size_threshold!r}."
            )
        from flavorkit_onnx import _files, _graph, _session

        session_options = _session.check_session_options(onnx_session_options)
        proto = _files.as_model_proto(model)
        _files.write_model(
            proto,
            path / MODEL_FILE,
            external_data_file=EXTERNAL_DATA_FILE if save_as_external_data else None,
            size_threshold=external_data_size_threshold,
        )
        _files.check_model(path / MODEL_FILE)
        conf = {
            "code": None,
            "data": MODEL_FILE,
            "onnx_session_options": session_options,
            "onnx_version": _files.onnx_version(),
            "providers": providers,
        }
        pyfunc = {"loader_module": LOADER_MODULE, "data": MODEL_FILE}
        return SavedFlavor(conf, pyfunc, signature=_graph.signature_of(proto))

    def load(
        self,
        path: Path,
        conf: dict[str, Any],
        *,
        trust: bool,
        providers: Sequence[str] | None = None,
        **options: Any,
    ) -> Any:
        """The ``onnx.ModelProto`` saved in ``path``, its external data loaded.

        ``conf`` is the ``onnx`` section, or the ``python_function`` section of a model that has
        only that (``loader_module: mlflow.onnx``). ``providers`` replaces the providers recorded
        in MLmodel for the sessions this model's predictor opens.
        """
        _chosen_providers({**options, "providers": providers})
        from flavorkit_onnx import _files

        return _files.read_model(_model_file_of(path, conf))

    def predictor(
        self,
        model: Any,
        conf: dict[str, Any],
        pyfunc_conf: dict[str, Any],
        *,
        context: PredictorContext | None = None,
    ) -> Predictor:
        """An :class:`~flavorkit_onnx._predict.OnnxPredictor` over a session for ``model``.

        A model loaded from a directory (``context.path``; ``model`` is None, the flavor being
        ``native_on_demand``) opens its session from the file (external data read by
        onnxruntime, the caller's ``providers`` load option honoured); any other ``ModelProto``
        (the one being saved, one from ``load_native``), or a path, from memory.
        """
        from flavorkit_onnx import _predict

        source = None
        if context is not None and context.path is not None:
            chosen = _chosen_providers(context.options)
            file = _model_file_of(context.path, conf)
            source = _predict.Source(context.path, file, chosen)
        elif model is None:
            raise TypeError("onnx: a predictor needs a ModelProto or the model's directory.")
        return _predict.OnnxPredictor.for_model(model, conf, source)

    def framework_versions(
        self, conf: dict[str, Any], pyfunc_conf: dict[str, Any]
    ) -> list[FrameworkVersion]:
        """ONNX files stay readable by later onnx releases: any onnx at or above the saved one."""
        return [
            FrameworkVersion(v.package, v.saved, compatible=f">={v.saved}" if v.saved else None)
            for v in super().framework_versions(conf, pyfunc_conf)
        ]

    def default_pip_requirements(self, **_: Any) -> list[str]:
        """``onnx`` and the installed onnxruntime distribution, pinned (MLflow's defaults)."""
        from flavorkit_onnx import _session

        return _session.pinned_requirements()
