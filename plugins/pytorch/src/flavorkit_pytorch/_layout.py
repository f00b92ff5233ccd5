"""The files of a PyTorch model directory, named once for the code that writes and reads them.

:mod:`flavorkit_pytorch._save` writes these names and :mod:`flavorkit_pytorch._load` reads them;
keeping them here lets loading stand without the saving module (MLflow's ``mlflow.pytorch``
layout: ``data/model.pt2``, ``data/model.pth`` with ``pickle_module_info.txt``).
"""

from __future__ import annotations

__all__ = ["DATA_DIR", "PICKLE_FILE", "PICKLE_MODULE_INFO", "PT2_FILE"]

DATA_DIR = "data"
PT2_FILE = "model.pt2"
PICKLE_FILE = "model.pth"
PICKLE_MODULE_INFO = "pickle_module_info.txt"
