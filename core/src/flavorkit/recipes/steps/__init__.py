"""The built-in steps of ``regression/v1`` and ``classification/v1``, one module per step.

Each is a :class:`flavorkit.recipes.types.Step`: it declares its inputs and user code, reads
parquet from upstream output directories and writes its own; cards and tracking go through
:mod:`flavorkit.recipes.cards` and :mod:`flavorkit.recipes.tracking`.
"""
