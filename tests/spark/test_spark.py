"""flavorkit.spark.spark_udf on real PySpark (local[2]) with a real scikit-learn model."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

import flavorkit
from flavorkit.errors import SchemaEnforcementError, UntrustedModelError

pytest.importorskip("sklearn")
pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed; run `nox -s spark`")
from pyspark.errors import PythonException  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

from flavorkit.spark import spark_udf  # noqa: E402

RNG = np.random.default_rng(0)
X = pd.DataFrame(RNG.standard_normal((400, 3)), columns=["a", "b", "c"])
Y = (X["a"] + X["b"] > 0).astype("int64")
CLASSIFIER = LogisticRegression().fit(X, Y)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "logreg"
    flavorkit.save_model(CLASSIFIER, path, input_example=X.head(5))
    return path


@pytest.fixture(scope="module")
def frame(spark):
    return spark.createDataFrame(X.assign(id=range(len(X)))).repartition(4)


def collect(df, column: str = "p") -> np.ndarray:
    rows = df.orderBy("id").select(column).toPandas()[column]
    return np.array(rows.tolist())


def test_binding_by_signature_positional_and_struct(spark, frame, model_dir: Path) -> None:
    udf = spark_udf(spark, str(model_dir))
    assert udf.result_type == T.LongType()  # inferred from the output schema
    expected = CLASSIFIER.predict(X)
    np.testing.assert_array_equal(collect(frame.withColumn("p", udf())), expected)
    renamed = frame.select("id", *(F.col(c).alias(f"x{i}") for i, c in enumerate("abc")))
    np.testing.assert_array_equal(collect(renamed.withColumn("p", udf("x0", "x1", "x2"))), expected)
    shuffled = frame.withColumn("p", udf(F.struct("c", "a", "b")))  # a struct binds by name
    np.testing.assert_array_equal(collect(shuffled), expected)


def test_arrow_and_pandas_udfs_score_alike(spark, frame, model_dir: Path) -> None:
    """Scalar results go through an Arrow UDF where PySpark has one, and agree with pandas'."""
    from dataclasses import replace

    from pyspark.sql.pandas import functions

    from flavorkit.spark.udf import SparkModelUDF

    udf = spark_udf(spark, str(model_dir))
    assert udf.spec.arrow == hasattr(functions, "arrow_udf")
    by_pandas = SparkModelUDF(replace(udf.spec, arrow=False))
    for args in ((), ("a", "b", "c"), (F.struct("c", "a", "b"),)):
        np.testing.assert_array_equal(
            collect(frame.withColumn("p", udf(*args))),
            collect(frame.withColumn("p", by_pandas(*args))),
        )


def test_given_result_types(spark, frame, model_dir: Path, tmp_path: Path) -> None:
    as_double = spark_udf(spark, str(model_dir), "double")
    np.testing.assert_allclose(
        collect(frame.withColumn("p", as_double())), CLASSIFIER.predict(X).astype(float)
    )
    flavorkit.save_model(
        CLASSIFIER, tmp_path / "proba", input_example=X.head(5), pyfunc_predict_fn="predict_proba"
    )
    proba = spark_udf(spark, str(tmp_path / "proba"))
    assert proba.result_type == T.ArrayType(T.DoubleType())
    assert not proba.spec.arrow  # arrays and structs keep the pandas UDF
    np.testing.assert_allclose(
        np.stack(collect(frame.withColumn("p", proba()))), CLASSIFIER.predict_proba(X)
    )
    struct = spark_udf(spark, str(tmp_path / "proba"), "struct<no: double, yes: double>")
    got = frame.withColumn("p", struct()).orderBy("id").select("p.no", "p.yes").toPandas()
    np.testing.assert_allclose(got.to_numpy(), CLASSIFIER.predict_proba(X))


def test_the_model_is_shipped_through_spark_and_loaded_once_per_worker(
    spark, frame, tmp_path: Path, load_log: Path
) -> None:
    reg = LinearRegression().fit(X, X["a"] * 2)
    original = tmp_path / "linreg"
    flavorkit.save_model(reg, original, input_example=X.head(5))
    udf = spark_udf(spark, str(original))
    shutil.rmtree(original)  # executors read the archive Spark distributed, not this directory
    load_log.write_text("")
    np.testing.assert_allclose(collect(frame.withColumn("p", udf())), reg.predict(X))
    first = load_log.read_text()
    assert first, "the load log is empty: the workers did not run loadlog/sitecustomize.py"
    for _ in range(2):  # 2 more jobs x 4 partitions, on the same reused Python workers
        np.testing.assert_allclose(collect(frame.withColumn("p", udf())), reg.predict(X))
    assert load_log.read_text() == first, "a later task loaded the model again"
    loads = [line.split() for line in first.splitlines()]
    assert all("flavorkit-model-" in path for _, path in loads)
    assert len({pid for pid, _ in loads}) <= 2  # local[2]: at most two Python workers


def test_a_row_that_fails_the_signature_names_column_and_types(spark, model_dir: Path) -> None:
    bad = spark.createDataFrame(pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0], "c": [0.0, 1.0]}))
    udf = spark_udf(spark, str(model_dir))
    with pytest.raises(PythonException) as info:
        bad.withColumn("p", udf()).collect()
    message = str(info.value)
    assert "SchemaEnforcementError: spark_udf(" in message
    assert "Column 'a' (double)" in message
    assert re.search(r"the UDF received columns 'a' \((object|str)\), 'b' \(float64\)", message)
    assert "py4j" not in message.lower()


def test_driver_side_errors(spark, frame, model_dir: Path, tmp_path: Path) -> None:
    udf = spark_udf(spark, str(model_dir))
    with pytest.raises(
        SchemaEnforcementError, match=r"4 columns given but the signature declares 3"
    ):
        udf("a", "b", "c", "id")
    with pytest.raises(flavorkit.MLmodelNotFoundError):
        spark_udf(spark, str(tmp_path / "nothing"))
    with pytest.raises(flavorkit.SchemaError, match="not a Spark SQL type"):
        spark_udf(spark, str(model_dir), "no such type<")


def test_trust_is_the_callers_argument(spark, frame, tmp_path: Path) -> None:
    path = tmp_path / "pickled"
    flavorkit.save_model(
        CLASSIFIER, path, input_example=X.head(5), serialization_format="cloudpickle"
    )
    with pytest.raises(PythonException, match=UntrustedModelError.__name__):
        frame.withColumn("p", spark_udf(spark, str(path))()).collect()
    trusted = spark_udf(spark, str(path), trust=True)
    np.testing.assert_array_equal(collect(frame.withColumn("p", trusted())), CLASSIFIER.predict(X))
