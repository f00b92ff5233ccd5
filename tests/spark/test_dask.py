"""flavorkit.dask.predict with Dask's threaded and distributed local schedulers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import flavorkit
from flavorkit.errors import SchemaEnforcementError

dd = pytest.importorskip("dask.dataframe", reason="Dask is not installed; run `nox -s spark`")
distributed = pytest.importorskip("distributed", reason="run `nox -s spark`")

from flavorkit.dask import predict  # noqa: E402

RNG = np.random.default_rng(1)
X = pd.DataFrame(RNG.standard_normal((300, 2)), columns=["a", "b"])
MODEL = LogisticRegression().fit(X, (X["a"] > X["b"]).astype("int64"))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "logreg"
    flavorkit.save_model(MODEL, path, input_example=X.head(3))
    return path


@pytest.fixture(scope="module")
def ddf():  # type: ignore[no-untyped-def]
    return dd.from_pandas(X.assign(id=np.arange(len(X))), npartitions=6)


def test_threaded_meta_from_the_signature(ddf, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    result = predict(ddf, str(model_dir))
    assert isinstance(result._meta, pd.Series)  # built from the output schema, not by running
    assert result._meta.dtype == np.dtype("int64") and result._meta.name == "prediction"
    got = result.compute(scheduler="threads")
    np.testing.assert_array_equal(got.to_numpy(), MODEL.predict(X))
    assigned = ddf.assign(p=result).compute(scheduler="threads")
    np.testing.assert_array_equal(assigned["p"].to_numpy(), MODEL.predict(X))


def test_two_dimensional_outputs_become_columns(ddf, model_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    flavorkit.save_model(
        MODEL, tmp_path / "p", input_example=X.head(3), pyfunc_predict_fn="predict_proba"
    )
    result = predict(ddf, str(tmp_path / "p"))
    assert list(result._meta.columns) == ["prediction_0", "prediction_1"]
    got = result.compute(scheduler="threads")
    np.testing.assert_allclose(got.to_numpy(), MODEL.predict_proba(X))


def test_distributed_local_cluster_loads_once_per_worker(ddf, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        result = predict(ddf, str(model_dir))
        for _ in range(2):
            np.testing.assert_array_equal(result.compute().to_numpy(), MODEL.predict(X))

        def loads() -> int:
            from flavorkit.dask.partitions import load_count

            return load_count()

        per_worker = client.run(loads)
        assert sorted(per_worker.values()) in ([1, 1], [0, 1]), per_worker


def test_a_bad_partition_names_the_column(model_dir: Path) -> None:
    bad = dd.from_pandas(pd.DataFrame({"a": ["x"] * 4, "b": [1.0] * 4}), npartitions=2)
    with pytest.raises(SchemaEnforcementError, match=r"flavorkit.dask.predict\(.*Column 'a'"):
        predict(bad, str(model_dir)).compute(scheduler="threads")
