"""One SparkSession for the whole test session (a JVM start costs 5-15 s), on local[2].

Spark's Python workers run this interpreter (PYSPARK_PYTHON), so they import the flavorkit and
plugins installed here. Model loads in the workers are logged by ``loadlog/sitecustomize.py``.
Without PySpark or Java these tests skip and say how to run them: ``nox -s spark``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REQUIRED = os.environ.get("FLAVORKIT_REQUIRE_SPARK") == "1"


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(f"{reason}; run them with `nox -s spark`")


@pytest.fixture(scope="session")
def load_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loads") / "loads.log"


@pytest.fixture(scope="session")
def spark(load_log: Path) -> Iterator[object]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _skip_or_fail("PySpark is not installed")
    if shutil.which("java") is None:
        _skip_or_fail("Java is not installed (Debian: default-jre-headless)")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(HERE / "loadlog"), os.environ.get("PYTHONPATH")) if p
    )
    os.environ["FLAVORKIT_TEST_LOAD_LOG"] = str(load_log)
    jvm = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    session = (
        SparkSession.builder.master("local[2]")
        .appName("flavorkit-tests")
        .config("spark.driver.extraJavaOptions", jvm)
        .config("spark.executor.extraJavaOptions", jvm)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
