"""Converting single values and single columns to a declared column type.

The layer under :mod:`flavorkit.enforce` and :mod:`flavorkit.schema`: it knows the column types
(:mod:`flavorkit.datatypes`) but no schema, so a :class:`~flavorkit.schema.ParamSpec` can validate
its default here and :mod:`flavorkit.enforce` can apply the same rules to whole inputs.

* :mod:`.table`: the coercion table, one received dtype against one declared scalar type;
* :mod:`.cells`: one value (cell, item, property) against any column type, recursively;
* :mod:`.params`: one param value against its spec.
"""
