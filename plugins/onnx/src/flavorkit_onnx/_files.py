"""``model.onnx`` and its external data: written without touching the caller's model, read whole.

Writing. MLflow calls ``onnx.save_model(model, path, save_as_external_data=True)``, which
moves every initializer of 1 KB or more into a side file *by clearing it in the caller's model*:
after saving, the caller's ``ModelProto`` has lost its weights. Here the file is written from a
skeleton instead: a copy of the model in which each large initializer is replaced by a stub
naming its bytes in :data:`~flavorkit_onnx.EXTERNAL_DATA_FILE`, written as it is met. The
caller's model is never modified, and memory grows by the skeleton and one tensor, not by a
second copy of the weights. Models past protobuf's 2 GB limit are saved this way, since only the
skeleton is serialized. As with onnx, only initializers (of the graph and of subgraphs) held in
``raw_data`` move; tensors inside node attributes and in typed fields stay in the graph.

Reading. Every external data location is resolved with :func:`flavorkit.safety.model_file`
before a byte is read: a model file naming ``../../etc/passwd`` or an absolute path is refused,
as are paths leading out through a symlink. Then onnx loads the data, and the ``ModelProto`` is
returned whole (no tensor left pointing at a file).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any

import onnx
from onnx import TensorProto

from flavorkit.errors import FlavorkitError, ModelPathError
from flavorkit.safety import model_file

__all__ = [
    "PROTOBUF_LIMIT",
    "fits_in_one_message",
    "as_model_proto",
    "external_tensors",
    "onnx_version",
    "read_graph",
    "read_model",
    "write_model",
]

#: Protobuf cannot serialize or parse a message of this many bytes or more.
PROTOBUF_LIMIT = 2**31


def fits_in_one_message(model: Any) -> bool:
    """Whether protobuf can serialize ``model`` in one piece (under 2 GB). upb refuses even to
    compute the size of a larger message, so the refusal means no."""
    try:
        return bool(model.ByteSize() < PROTOBUF_LIMIT)
    except Exception as e:  # google.protobuf.message.EncodeError
        if type(e).__name__ != "EncodeError":
            raise
        return False


def onnx_version() -> str:
    return str(onnx.__version__)


# --------------------------------------------------------------------------------------------
# What is being saved
# --------------------------------------------------------------------------------------------


def as_model_proto(model: Any) -> onnx.ModelProto:
    """The ``ModelProto`` to save: ``model`` itself, or read from the ``.onnx`` file it names."""
    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, (str, os.PathLike)):
        file = Path(model)
        if not file.is_file():
            what = "a directory" if file.is_dir() else "no such file"
            raise ModelPathError(
                f"onnx: cannot save {str(file)!r}: {what}. Pass an onnx.ModelProto or the path of "
                "a .onnx file (its external data files beside it)."
            )
        return read_model(file)
    raise TypeError(
        f"onnx: cannot save a {type(model).__module__}.{type(model).__qualname__}; the onnx "
        "flavor saves an onnx.ModelProto or the path of a .onnx file. Convert the model to ONNX "
        "first (torch.onnx.export, skl2onnx.to_onnx, tf2onnx...)."
    )


def check_model(file: Path) -> None:
    """A ValueError unless the written ``file`` is well-formed ONNX that a runtime can load.

    Run at save, on the file as a load will read it (``onnx.checker`` by path, so external data
    and models past protobuf's 2 GB limit are checked too; no shape inference: cheap), so that a
    broken graph from an exporter fails where it was made rather than when a server first opens
    a session. The save is still in its temporary directory: a refusal leaves nothing behind.
    """
    try:
        onnx.checker.check_model(str(file))
    except onnx.checker.ValidationError as e:
        first = str(e).strip().splitlines()[0]
        raise ValueError(
            f"onnx: the model is not valid ONNX, so no runtime could load it ({first}). Fix the "
            "graph (or the exporter's options) and save again; onnx.checker.check_model(model) "
            "shows the same error."
        ) from None


# --------------------------------------------------------------------------------------------
# Tensors in a model
# --------------------------------------------------------------------------------------------


def _graph_tensors(graph: onnx.GraphProto) -> Iterator[TensorProto]:
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    yield from _node_tensors(graph.node)


def _node_tensors(nodes: Any) -> Iterator[TensorProto]:
    for node in nodes:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("g"):
                yield from _graph_tensors(attr.g)
            for sub in attr.graphs:
                yield from _graph_tensors(sub)


def all_tensors(model: onnx.ModelProto) -> Iterator[TensorProto]:
    """Every tensor of the model: initializers, node attributes, subgraphs, functions."""
    yield from _graph_tensors(model.graph)
    for function in model.functions:
        yield from _node_tensors(function.node)


def _uses_external_data(tensor: TensorProto) -> bool:
    return tensor.data_location == TensorProto.EXTERNAL


def external_tensors(model: onnx.ModelProto) -> list[TensorProto]:
    """The tensors whose data lives in a side file."""
    return [t for t in all_tensors(model) if _uses_external_data(t)]


def _location(tensor: TensorProto) -> str:
    return next((e.value for e in tensor.external_data if e.key == "location"), "")


def _check_loaded(model: onnx.ModelProto) -> None:
    """Refuse a model whose external data was never loaded: its weights are somewhere else."""
    missing = [t for t in external_tensors(model) if not t.HasField("raw_data")]
    if missing:
        raise FlavorkitError(
            f"onnx: tensor {missing[0].name!r} (and {len(missing) - 1} more) keeps its data in "
            f"the external file {_location(missing[0])!r}, which was not loaded into this "
            "ModelProto. Load the model with onnx.load(path) (load_external_data=True), or "
            "save the .onnx file by its path with flavor='onnx'."
        )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_model(
    model: onnx.ModelProto,
    file: Path,
    *,
    external_data_file: str | None,
    size_threshold: int,
) -> None:
    """Write ``model`` to ``file``; with ``external_data_file``, initializers of at least
    ``size_threshold`` bytes go to that file beside it. ``model`` is not modified."""
    _check_loaded(model)
    if external_data_file is None:
        if not fits_in_one_message(model):
            raise FlavorkitError(
                "onnx: the model is past protobuf's 2 GiB limit for one file; save it with "
                "save_as_external_data=True (the default)."
            )
        file.write_bytes(model.SerializeToString())
        return
    with _ExternalWriter(file.parent / external_data_file, size_threshold) as writer:
        skeleton = onnx.ModelProto()
        writer.copy(model, skeleton)
    if not fits_in_one_message(skeleton):
        raise FlavorkitError(
            f"onnx: even with its initializers in {external_data_file}, the model is past "
            "protobuf's 2 GiB limit: its large "
            "tensors are held in node attributes or typed fields (float_data...), which are not "
            "moved. Store them as initializers with raw_data (onnx.numpy_helper.from_array)."
        )
    file.write_bytes(skeleton.SerializeToString())


@cache
def _holds_tensors(descriptor: Any) -> bool:
    """Whether a message of this type can contain a TensorProto, at any depth."""
    seen: set[str] = set()
    todo = [descriptor]
    while todo:
        d = todo.pop()
        if d.full_name == TensorProto.DESCRIPTOR.full_name:
            return True
        if d.full_name in seen:
            continue
        seen.add(d.full_name)
        todo.extend(f.message_type for f in d.fields if f.message_type is not None)
    return False


class _ExternalWriter:
    """Copies a model into a skeleton, writing large ``raw_data`` tensors to one side file."""

    def __init__(self, data_file: Path, size_threshold: int):
        self.data_file = data_file
        self.size_threshold = size_threshold
        self._out: IO[bytes] | None = None

    def __enter__(self) -> _ExternalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._out is not None:
            self._out.close()

    def copy(self, src: Any, dst: Any, *, initializer: bool = False) -> None:
        """Copy ``src`` into the empty ``dst``, field by field; an ``initializer`` tensor held
        in ``raw_data`` is stubbed when large, its bytes going to the side file."""
        is_tensor = src.DESCRIPTOR.full_name == TensorProto.DESCRIPTOR.full_name
        if is_tensor and src.HasField("raw_data"):
            raw = src.raw_data
            if initializer and len(raw) >= self.size_threshold:
                _copy_fields(src, dst, skip=_DATA_FIELDS)
                self._point_at(dst, raw)
            else:  # in the graph: drop a stale "external" mark left beside loaded data
                _copy_fields(src, dst, skip=("external_data", "data_location"))
            return
        for field, value in src.ListFields():
            target = getattr(dst, field.name)
            if field.message_type is None or not _holds_tensors(field.message_type):
                _copy_field(field, value, dst)
            elif field.is_repeated:
                moves = field.name == "initializer"  # of the graph or of a subgraph
                for item in value:
                    self.copy(item, target.add(), initializer=moves)
            else:
                self.copy(value, target)

    def _point_at(self, dst: Any, raw: bytes) -> None:
        """Append ``raw`` to the side file and record where in ``dst``."""
        if self._out is None:
            self._out = open(self.data_file, "xb")  # noqa: SIM115 - closed by __exit__
        offset = self._out.tell()
        self._out.write(raw)
        dst.data_location = TensorProto.EXTERNAL
        for key, value in (
            ("location", self.data_file.name),
            ("offset", str(offset)),
            ("length", str(len(raw))),
        ):
            entry = dst.external_data.add()
            entry.key, entry.value = key, value


_DATA_FIELDS = ("raw_data", "external_data", "data_location")


def _copy_fields(src: Any, dst: Any, *, skip: tuple[str, ...]) -> None:
    for field, value in src.ListFields():
        if field.name not in skip:
            _copy_field(field, value, dst)


def _copy_field(field: Any, value: Any, dst: Any) -> None:
    """Copy one set field (repeated or not, scalar or message) of a message into ``dst``."""
    if field.is_repeated:
        getattr(dst, field.name).extend(value)
    elif field.message_type is not None:
        getattr(dst, field.name).CopyFrom(value)
    else:
        setattr(dst, field.name, value)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_model(file: Path) -> onnx.ModelProto:
    """The model in ``file`` with its external data loaded, each side file checked first."""
    model, tensors = read_graph(file)
    if tensors:
        try:
            onnx.external_data_helper.load_external_data_for_model(model, str(file.parent))
        except Exception as e:
            raise FlavorkitError(
                f"{file}: its external data cannot be read ({type(e).__name__}: {e})."
            ) from e
    return model


def read_graph(file: Path) -> tuple[onnx.ModelProto, list[TensorProto]]:
    """The model in ``file`` without its external data, and the tensors keeping theirs in side
    files, each location checked to be a file beside the model."""
    try:
        model = onnx.load(str(file), load_external_data=False)
    except Exception as e:
        raise FlavorkitError(f"{file}: not a readable ONNX model ({type(e).__name__}: {e}).") from e
    if model.ir_version <= 0 or not model.HasField("graph"):
        raise FlavorkitError(
            f"{file}: not an ONNX model (no IR version or no graph); was it written with "
            "onnx.save_model?"
        )
    tensors = external_tensors(model)
    for tensor in tensors:
        try:
            side = model_file(file.parent, _location(tensor), key="location")
        except ModelPathError as e:
            raise ModelPathError(
                f"{file}: refusing to read the external data of tensor {tensor.name!r}: its "
                f"location must be a file beside the model ({e})"
            ) from None
        if not side.is_file():
            raise FlavorkitError(
                f"{file}: tensor {tensor.name!r} keeps its data in {_location(tensor)!r}, which "
                f"is missing from {file.parent}. Copy the files saved beside the .onnx file too."
            )
    return model, tensors
