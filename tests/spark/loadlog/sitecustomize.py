"""Counts model loads in Spark's Python workers, without touching the code under test.

Spark starts its Python workers with this directory on PYTHONPATH (the conftest puts it there
before the JVM starts), so each worker runs this file at start-up. An audit hook appends the
worker's pid to $FLAVORKIT_TEST_LOAD_LOG every time a model file is opened for reading.
"""

import os
import sys

_LOG = os.environ.get("FLAVORKIT_TEST_LOAD_LOG")
_FILES = tuple(os.environ.get("FLAVORKIT_TEST_LOAD_FILES", "model.skops,model.pkl").split(","))


def _hook(event, args):
    if event != "open":
        return
    path = os.fspath(args[0]) if isinstance(args[0], os.PathLike) else args[0]
    if not isinstance(path, str) or not path.endswith(_FILES):
        return
    mode, flags = args[1], args[2]
    reading = "r" in mode if isinstance(mode, str) else (flags & os.O_ACCMODE) == os.O_RDONLY
    if reading:
        fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{os.getpid()} {path}\n".encode())
        os.close(fd)


if _LOG:
    sys.addaudithook(_hook)
