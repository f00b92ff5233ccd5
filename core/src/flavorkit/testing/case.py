"""What a plugin author hands the conformance suite: cases, and the capabilities of the flavor."""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CAPABILITIES",
    "IN_PROCESS_ONLY",
    "NEEDS_INPUT_EXAMPLE",
    "NO_PYFUNC",
    "UNSAFE_FORMATS",
    "Case",
    "split_example",
]

#: The flavor writes no ``python_function`` section (its models cannot predict through pyfunc):
#: the pyfunc, signature, example-prediction and MLflow-loader checks are skipped.
NO_PYFUNC = "no_pyfunc"
#: Saving needs an input example (e.g. ``torch.export`` traces the model with it): the check that
#: saves without one is skipped.
NEEDS_INPUT_EXAMPLE = "needs_input_example"
#: The flavor is registered in the test process only, with no ``flavorkit.flavors`` entry point:
#: the entry-point check is skipped. Set automatically when the test class sets ``plugin``.
IN_PROCESS_ONLY = "in_process_only"
#: Some of the flavor's formats run code when loaded (pickle); cases saved in them set
#: ``trust=True``. Declaring it makes the suite insist that at least one case does.
UNSAFE_FORMATS = "unsafe_formats"

#: Every capability the suite knows; a class declaring another name is a typo and fails collection.
CAPABILITIES = frozenset({NO_PYFUNC, NEEDS_INPUT_EXAMPLE, IN_PROCESS_ONLY, UNSAFE_FORMATS})


@dataclass(frozen=True)
class Case:
    """One model the suite saves, loads and predicts with, under the id ``id``.

    ``model`` is the model itself or a **zero-argument function** (a ``def``, ``lambda``,
    ``functools.partial`` or ``functools.cache``-d function) returning it: the suite calls it
    once, when a test first needs the model, so collecting tests fits nothing. (A callable
    *object*, such as a torch module, is the model, not a factory.)

    ``input_example`` is passed to ``save_model(input_example=...)``: data, or ``(data, params)``.
    The signature is inferred from it and predictions are compared on it and on every entry of
    ``inputs`` (same forms). ``expected`` is the expected output for the first of these (the
    example's data when there is one); without it the reference is the in-memory model's own
    prediction (see :meth:`~flavorkit.testing.FlavorConformanceTests.native_predict`). Numbers
    agree within ``|actual - expected| <= atol + rtol * |expected|``.

    ``options`` are the flavor's save options (``{"serialization_format": "pickle"}``).
    ``trust=True`` marks a format that runs code on load: the suite loads it with ``trust=True``
    and checks that loading **without** trust is refused.
    """

    id: str
    model: Any
    input_example: Any = None
    inputs: tuple[Any, ...] = ()
    expected: Any = None
    rtol: float = 1e-7
    atol: float = 0.0
    options: Mapping[str, Any] = field(default_factory=dict)
    trust: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValueError(f"Case id must be a non-empty string, got {self.id!r}.")
        object.__setattr__(self, "inputs", tuple(self.inputs))  # a list is accepted too
        if not isinstance(self.options, Mapping):
            raise TypeError(f"Case {self.id!r}: options must be a mapping, got {self.options!r}.")
        if self.input_example is None and not self.inputs:
            raise ValueError(
                f"Case {self.id!r} has no input_example and no inputs: the suite needs data to "
                "predict on."
            )

    @property
    def is_lazy(self) -> bool:
        """Whether :attr:`model` is a factory the suite calls to build the model."""
        return _is_factory(self.model)

    def build_model(self) -> Any:
        """The model: :attr:`model` itself, or what the factory returns."""
        return self.model() if self.is_lazy else self.model

    def all_inputs(self) -> list[tuple[Any, dict[str, Any] | None]]:
        """``(data, params)`` for the example (first, if any) and each of :attr:`inputs`."""
        items = ([self.input_example] if self.input_example is not None else []) + list(self.inputs)
        return [split_example(item) for item in items]


def split_example(example: Any) -> tuple[Any, dict[str, Any] | None]:
    """``(data, params)`` of an example given as data or as a ``(data, params_dict)`` tuple."""
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], dict):
        return example[0], example[1]
    return example, None


# functools.cache / lru_cache wrap a builder in an object of this (otherwise private) type.
_CACHED_FUNCTION = type(functools.cache(lambda: None))
_FACTORY_TYPES = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    functools.partial,
    _CACHED_FUNCTION,
)


def _is_factory(value: Any) -> bool:
    if not isinstance(value, _FACTORY_TYPES):
        return False
    try:
        inspect.signature(value).bind()
    except TypeError:
        return False  # a function taking the data is a function-based model, not a factory
    except ValueError:
        return False
    return True
