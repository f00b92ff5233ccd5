"""Models and data the pythonmodel tests share: importable by name, also from a subprocess.

The conformance kit checks MLflow's loader contract in a fresh interpreter, which must import
the classes a model names; the conftest puts this package's parent directory on ``sys.path``
(and the kit passes ``sys.path`` on to the subprocess).
"""

from pathlib import Path

HERE = Path(__file__).parent
DATA = HERE / "data"
#: A model-from-code file (it ends with set_model).
CODE_MODEL = HERE / "code_model.py"
