"""``/docs`` in a real headless Chromium with no network: Swagger UI renders from this server.

The server is a real ``flavorkit serve`` subprocess on 127.0.0.1; the browser is Debian's
``chromium`` driven by Playwright (its own browser downloads are never used:
``executable_path`` points at the system one). Every request the page makes to anything but the
server is aborted and recorded, and the test fails if there was one, so a CDN reference cannot
come back unnoticed. The page must show the operations generated from the signature, and the
example request from the model's input example must execute from the page and predict.

Run with ``nox -s core`` (it installs Chromium through ``_ensure_chromium`` and Playwright), or
set ``FLAVORKIT_CHROMIUM`` to a Chromium binary.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.tests.test_serve import Server, X, expected, install_distribution, models  # noqa: F401

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the /docs test needs playwright (pip install playwright)"
)
CHROMIUM = os.environ.get("FLAVORKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: apt-get install chromium (Debian), or run `nox -s core`, "
        f"which installs it",
        allow_module_level=True,
    )
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs")


@pytest.fixture(scope="module")
def site(work: Path) -> Path:
    return install_distribution(work / "site", "toyflavor-pkg", "toyflavor_pkg:ToyFlavor", {})


@pytest.fixture(scope="module")
def server(models: dict[str, Path], site: Path, work: Path) -> Iterator[Server]:  # noqa: F811
    server = Server(models["cols"], site, work / "cols.log")
    try:
        server.wait("/v2/health/ready")
        yield server
    finally:
        server.stop()


def test_docs_render_offline_and_the_example_executes(server: Server) -> None:
    outside: list[str] = []
    profile = tempfile.mkdtemp(prefix="flavorkit-chromium-")
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=ARGS, headless=True
            )  # a fresh --user-data-dir, as playwright wants it passed
            try:
                page = browser.new_page()

                def only_local(route: object) -> None:
                    url = route.request.url  # type: ignore[attr-defined]
                    if url.startswith(server.url):
                        route.continue_()  # type: ignore[attr-defined]
                    else:
                        outside.append(url)
                        route.abort()  # type: ignore[attr-defined]

                page.route("**/*", only_local)
                page.goto(server.url + "/docs", wait_until="networkidle", timeout=30_000)
                page.wait_for_selector(".opblock", timeout=30_000)
                summaries = page.locator(".opblock-summary-path").all_inner_texts()
                for path in ("/invocations", "/ping", "/v2/models/{name}/infer"):
                    assert path in summaries, summaries
                assert "Predict (MLflow's scoring protocol)" in page.content()

                invocations = page.locator("#operations-scoring-post_invocations, .opblock-post")
                invocations.filter(has_text="/invocations").first.locator(
                    ".opblock-summary"
                ).click()
                block = page.locator(".opblock.is-open").first
                block.locator("button.execute").click(timeout=15_000)
                status = block.locator(
                    ".live-responses-table tr.response .response-col_status"
                ).first
                status.wait_for(timeout=30_000)
                assert status.inner_text().strip() == "200"
                body = block.locator(
                    ".live-responses-table tr.response .response-col_description pre"
                ).first
                text = body.inner_text()
                assert "predictions" in text, text
                want = expected(X.head(2))
                assert str(want[0]) in text, (want, text)
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert outside == [], f"the page reached outside the server: {outside}"
