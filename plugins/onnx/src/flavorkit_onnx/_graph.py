"""The signature an ONNX graph declares: its typed inputs and outputs as named TensorSpecs.

MLflow records no signature for ONNX models unless given one; the graph already says what it
takes, so flavorkit reads it (the core records it when the caller passes no ``signature=``):

* one named :class:`~flavorkit.schema.TensorSpec` per graph input (initializers listed as
  inputs, which IR < 4 graphs do, are left out: they have defaults) and per graph output;
* dtype from the element type (``tensor(float)`` → ``float32``, ``tensor(string)`` →
  ``object``, as onnxruntime returns strings);
* shape from the declared dims, a symbolic (``"N"``) or unknown dim becoming -1.

Types a TensorSpec cannot describe, and what happens:

* an **output** that is a sequence, map, optional or sparse tensor (skl2onnx classifiers'
  ``output_probability`` is a sequence of maps unless converted with ``zipmap=False``), or of an
  element type numpy lacks (bfloat16, float8, int4...): the signature records the inputs only,
  with one warning naming the output;
* such an **input**, or a tensor of unknown rank: no signature is read from the graph (warning);
  the core then infers one from the input example, if there is one.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import onnx
from onnx import TensorProto

from flavorkit.schema import InputSpec, Schema, TensorSpec
from flavorkit.signature import ModelSignature
from flavorkit_onnx._dtypes import NUMPY_DTYPES

__all__ = ["describe_type", "signature_of"]


def _elem_name(elem_type: int) -> str:
    try:
        return str(TensorProto.DataType.Name(elem_type)).lower()
    except ValueError:
        return f"type {elem_type}"


def describe_type(t: onnx.TypeProto) -> str:
    """onnxruntime's spelling of a type: ``tensor(float)``, ``seq(map(int64,tensor(float)))``."""
    kind = t.WhichOneof("value")
    if kind == "tensor_type":
        return f"tensor({_elem_name(t.tensor_type.elem_type)})"
    if kind == "sparse_tensor_type":
        return f"sparse_tensor({_elem_name(t.sparse_tensor_type.elem_type)})"
    if kind == "sequence_type":
        return f"seq({describe_type(t.sequence_type.elem_type)})"
    if kind == "optional_type":
        return f"optional({describe_type(t.optional_type.elem_type)})"
    if kind == "map_type":
        key = _elem_name(t.map_type.key_type)
        return f"map({key},{describe_type(t.map_type.value_type)})"
    return "an undeclared type"


def _tensor_spec(value: onnx.ValueInfoProto) -> TensorSpec | str:
    """The TensorSpec of one graph input or output, or why there is none."""
    t = value.type
    if t.WhichOneof("value") != "tensor_type":
        return f"{value.name!r} is {describe_type(t)}"
    dtype = NUMPY_DTYPES.get(_elem_name(t.tensor_type.elem_type))
    if dtype is None:
        return f"{value.name!r} is {describe_type(t)}, which numpy has no dtype for"
    if not t.tensor_type.HasField("shape"):
        return f"{value.name!r} ({describe_type(t)}) has no declared rank"
    shape = [d.dim_value if d.HasField("dim_value") else -1 for d in t.tensor_type.shape.dim]
    return TensorSpec(dtype, shape, value.name)


def signature_of(model: onnx.ModelProto) -> ModelSignature | None:
    """The graph's signature (see the module doc); None when its inputs cannot be described."""
    graph = model.graph
    defaults = {t.name for t in graph.initializer}
    inputs, bad_inputs = _specs(v for v in graph.input if v.name not in defaults)
    if bad_inputs:
        warnings.warn(
            f"onnx: no signature was read from the graph: input {bad_inputs[0]}, which a tensor "
            "signature cannot describe. Pass signature= (or an input_example) to record one.",
            UserWarning,
            stacklevel=2,
        )
        return None
    if not inputs:
        return None
    outputs, bad_outputs = _specs(graph.output)
    if bad_outputs:
        warnings.warn(
            f"onnx: the signature read from the graph records its inputs only: output "
            f"{bad_outputs[0]}, which a tensor signature cannot describe (for skl2onnx "
            "classifiers, convert with options={'zipmap': False} to get the probabilities as a "
            "tensor).",
            UserWarning,
            stacklevel=2,
        )
    return ModelSignature(
        inputs=Schema(inputs), outputs=Schema(outputs) if outputs and not bad_outputs else None
    )


def _specs(values: Iterable[onnx.ValueInfoProto]) -> tuple[list[InputSpec], list[str]]:
    """The TensorSpecs of ``values``, and why some have none."""
    specs: list[InputSpec] = []
    problems: list[str] = []
    for value in values:
        spec = _tensor_spec(value)
        if isinstance(spec, str):
            problems.append(spec)
        else:
            specs.append(spec)
    return specs, problems
