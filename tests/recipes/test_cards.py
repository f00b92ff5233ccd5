"""Step cards: self-contained HTML that a real headless Chromium renders with the network off.

Each card is copied next to a probe script (the card itself has none) and opened in Debian's
Chromium with every host unresolvable and a dead proxy; the probe reports the metrics table's
rendered rows and each inline SVG plot's rendered size and drawn elements.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flavorkit.recipes import Recipe

PROBE = """
<script>
(function () {
  const plots = Array.from(document.querySelectorAll("figure.plot")).map((fig) => {
    const svg = fig.querySelector("svg");
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {title: fig.dataset.title, width: box.width, height: box.height,
            drawn: svg ? svg.querySelectorAll("path, rect, line, use, text").length : 0};
  });
  const metrics = Array.from(document.querySelectorAll("table.metrics tbody tr")).map((tr) =>
    Array.from(tr.cells).map((td) => td.textContent.trim()));
  const visible = Array.from(document.querySelectorAll("table.metrics"))
    .every((t) => t.getBoundingClientRect().height > 0);
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({plots, metrics, visible});
  document.body.appendChild(out);
})();
</script>
"""
OFFLINE = (
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)


def chromium() -> str:
    path = os.environ.get("FLAVORKIT_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.skip(
            "Debian's chromium is not installed: run `nox -s recipes` (it installs it as root) "
            "or `apt-get install -y chromium`"
        )
    return path


def render(card: Path, tmp_path: Path) -> dict:
    html = card.read_text("utf-8")
    page = tmp_path / f"{card.parent.parent.name}-{card.parent.name}.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"))
    profile = tmp_path / f"chrome-profile-{page.stem}"
    result = subprocess.run(
        [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", *OFFLINE,
            "--virtual-time-budget=3000", "--dump-dom", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert found, f"the probe did not run in {card}: {result.stderr[-2000:]}"
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(text.replace("&amp;", "&"))


def cards(root: Path) -> dict[str, Path]:
    rows = Recipe("local", root=root).status()
    return {r["step"]: Path(r["card"]) for r in rows if r["card"]}


def assert_self_contained(card: Path) -> None:
    html = card.read_text("utf-8")
    assert "<script" not in html
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html), card
    assert "url(http" not in html


def assert_plots_render(probe: dict, card: Path, expected: int) -> None:
    assert len(probe["plots"]) >= expected, (card, probe["plots"])
    for plot in probe["plots"]:
        assert plot["width"] > 50 and plot["height"] > 50, (card, plot)
        assert plot["drawn"] > 5, (card, plot)


def test_every_regression_card_renders_offline(built_regression, tmp_path):
    found = cards(built_regression)
    assert set(found) == {
        "ingest", "split", "transform", "train", "evaluate", "register", "ingest_scoring",
        "predict",
    }  # fmt: skip
    expected_plots = {"ingest": 10, "split": 3, "train": 1, "evaluate": 2, "ingest_scoring": 10}
    for step, card in found.items():
        assert_self_contained(card)
        data = json.loads(card.with_name("card.json").read_text())
        assert data["step"] == step and data["run_summary"]["status"] == "SUCCEEDED"
        probe = render(card, tmp_path)
        assert_plots_render(probe, card, expected_plots.get(step, 0))
        if step in ("train", "evaluate"):
            assert probe["visible"] and probe["metrics"], step
            names = {row[0] for row in probe["metrics"]}
            assert {"root_mean_squared_error", "r2_score", "weighted_mean_squared_error"} <= names
            json_tables = [s for s in data["sections"] if s["class"] == "metrics"]
            assert len(json_tables[0]["data"]["rows"]) == len(probe["metrics"])
    evaluate = render(found["evaluate"], tmp_path)
    rmse = next(r for r in evaluate["metrics"] if r[0] == "root_mean_squared_error")
    assert rmse[3] == "80" and rmse[4] in ("PASS", "FAIL")  # threshold and verdict
    worst = json.loads(found["evaluate"].with_name("card.json").read_text())
    table = next(s for s in worst["sections"] if s["title"].startswith("The 10 worst"))
    assert len(table["data"]["rows"]) == 10 and table["data"]["columns"][0] == "absolute_error"


def test_classification_cards_draw_confusion_roc_and_pr(built_classification, tmp_path):
    found = cards(built_classification)
    probe = render(found["evaluate"], tmp_path)
    titles = [p["title"] for p in probe["plots"]]
    assert titles == [
        "Confusion matrix (test)",
        "ROC curve (test)",
        "Precision-recall curve (test)",
    ]
    assert_plots_render(probe, found["evaluate"], 3)
    names = {row[0] for row in probe["metrics"]}
    assert {"f1_score", "roc_auc", "log_loss", "true_positives", "missed_malignant_share"} <= names
    train = render(found["train"], tmp_path)
    assert_plots_render(train, found["train"], 1)  # coefficients


def test_a_failed_step_gets_a_card_with_its_error(regression_copy, tmp_path):
    from flavorkit.errors import RecipeStepError

    (regression_copy / "steps" / "transform.py").write_text(
        "def transformer_fn():\n    raise RuntimeError('no transformer today')\n"
    )
    recipe = Recipe("local", root=regression_copy, echo=lambda _: None)
    with pytest.raises(RecipeStepError):
        recipe.run("transform")
    card = Path(recipe.inspect("transform"))
    assert card.parent.name == "failed"
    text = card.read_text()
    assert "RuntimeError: no transformer today" in text and "Stack trace" in text
    dag = Path(recipe.inspect()).read_text()
    assert "FAILED" in dag
