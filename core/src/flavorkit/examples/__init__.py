"""Input examples: ``input_example.json`` and ``serving_input_example.json``.

Why a model carries an example: it documents the model (what one request looks like, with real
values, next to the signature that only gives types), and it is the payload a deployment is
smoke-tested with: ``serving_input_example.json`` is a ready-made body for ``POST /invocations``.

Both files use MLflow's exact forms (``mlflow-format.md`` §7), so a model saved here shows the same
example in MLflow, and an example MLflow wrote (3.x, or 1.x/2.x ``format: tf-serving``) loads here.

=========================  ===============================================  ========================
example                    ``input_example.json`` (compact ``json.dumps``)  ``type``
=========================  ===============================================  ========================
DataFrame, named columns   ``{"columns": [...], "data": [[...]]}``          dataframe (split)
DataFrame, columns 0..n-1  ``{"data": [[...]]}``                            dataframe (values)
ndarray                    nested list                                      ndarray
dict of ndarrays           ``{"name": [[...]], ...}``                       ndarray
dict, list, scalar, date   the JSON value as it is                          json_object
scipy csr / csc            ``{"data", "indices", "indptr", "shape"}``       sparse_matrix_csr / _csc
``(data, params)``         ``{"inputs": <above>, "params": {...}}``         as for ``data``
=========================  ===============================================  ========================

``serving_input_example.json`` (``indent=2``) is :func:`to_serving_payload` of the same example:
``{"dataframe_split": ...}`` for DataFrames, ``{"inputs": ...}`` otherwise (sparse matrices
densified), plus a top-level ``"params"``. A chat/completions/embeddings dict (a key ``messages``,
``prompt`` or ``input``) is not wrapped, and its params are merged into it, as in MLflow.

Values are written as JSON the way MLflow's encoder does: bytes as ``base64.encodebytes`` text
(with its newlines), dates, datetimes and pandas Timestamps as ``isoformat()``, numpy scalars via
``.item()`` (so float32 ``5.1`` is written ``5.099999904632568``), and missing values (NaN, NaT,
``pd.NA``) as ``null``.

Where flavorkit differs from MLflow, on purpose:

* NaN becomes ``null`` everywhere. MLflow does so for arrays, but with pandas 3 its DataFrame
  examples and any NaN inside a dict or list come out as the bare token ``NaN``, which is not JSON.
* A pandas Series is saved as a one-column DataFrame (its name, if a string, names the column; an
  unnamed Series is positional). MLflow 3 rejects Series examples.
* A DataFrame with duplicated column names, or with column names that are not strings (other than
  the default positional ``0..n-1``), is refused: it could not be read back to the same columns.
* ``datetime64`` arrays are written as ISO strings (MLflow writes nanosecond ones as integers),
  and ``datetime.date``/``datetime.time`` scalars are accepted as ``json_object`` examples.
* A ``(data, {})`` tuple still records ``params: 'true'`` so that readers unwrap ``inputs``.

Reading: :func:`load_input_example` rebuilds the data, typed by the model's input schema when one
is given (DataFrame columns cast to the ColSpec pandas types, datetime columns parsed, binary
columns base64-decoded; arrays built with each TensorSpec's dtype). Without a schema an array
is ``np.array(data)``, as in MLflow: numbers with nulls come back as an object array holding
``None``. Columns of Array/Object/Map type stay as parsed JSON: enforcement checks them at
predict time. A model directory is untrusted
data, so a file path in ``saved_input_example_info`` must stay inside it.

:func:`parse_serving_payload` is the scoring server's JSON-body parser (§8), with no web framework
in it, so a server, the CLI and tests share it.

numpy, pandas and scipy are imported only inside functions that need them: importing this module
stays cheap, and checking whether an example *is* a DataFrame or sparse matrix never imports a
library that the caller has not imported already.
"""

from __future__ import annotations

from flavorkit.examples.encoding import LLM_INPUT_KEYS, is_unified_llm_input, predictions_to_json
from flavorkit.examples.files import (
    EXAMPLE_FILENAME,
    EXAMPLE_TYPES,
    SERVING_EXAMPLE_FILENAME,
    load_input_example,
    load_serving_input_example,
    save_input_example,
)
from flavorkit.examples.payload import SERVING_INPUT_KEYS, parse_serving_payload, to_serving_payload

__all__ = [
    "EXAMPLE_FILENAME",
    "EXAMPLE_TYPES",
    "LLM_INPUT_KEYS",
    "SERVING_EXAMPLE_FILENAME",
    "SERVING_INPUT_KEYS",
    "is_unified_llm_input",
    "load_input_example",
    "load_serving_input_example",
    "parse_serving_payload",
    "predictions_to_json",
    "save_input_example",
    "to_serving_payload",
]
