"""Step cards: one self-contained HTML page per step, plus the same facts as ``card.json``.

MLflow's cards loaded the Facets viewer from a CDN and rendered blank offline, and were pickled.
These cards hold everything inline: tables as HTML, plots as inline SVG drawn by matplotlib
(:mod:`flavorkit.recipes.plots`), no script and no external URL, so they open from a CI artifact
or an air-gapped machine. ``card.json`` carries the tables and values for machines (CI gates,
dashboards); plots appear there by title only.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Card", "Section"]


@dataclass
class Section:
    """One block of a card: ``kind`` is table, kv, plot, text or pre."""

    title: str
    kind: str
    data: Any
    css_class: str = ""


@dataclass
class Card:
    """A step's card under construction; steps add sections, the runner saves it."""

    step: str
    title: str
    sections: list[Section] = field(default_factory=list)
    run_summary: dict[str, Any] = field(default_factory=dict)

    def table(
        self,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        css_class: str = "",
    ) -> None:
        """A table; ``css_class="metrics"`` marks the card's metrics table."""
        self.sections.append(
            Section(title, "table", {"columns": list(columns), "rows": [list(r) for r in rows]},
                    css_class)
        )  # fmt: skip

    def dataframe(self, title: str, frame: Any, *, max_rows: int = 20, css_class: str = "") -> None:
        head = frame.head(max_rows)
        rows = [[_plain(v) for v in row] for row in head.itertuples(index=False, name=None)]
        self.table(title, [str(c) for c in head.columns], rows, css_class=css_class)

    def kv(self, title: str, values: Mapping[str, Any]) -> None:
        self.sections.append(Section(title, "kv", {k: _plain(v) for k, v in values.items()}))

    def plot(self, title: str, svg: str) -> None:
        self.sections.append(Section(title, "plot", svg))

    def text(self, title: str, text: str) -> None:
        self.sections.append(Section(title, "text", text))

    def pre(self, title: str, text: str) -> None:
        self.sections.append(Section(title, "pre", text))

    def summary(self, values: Mapping[str, Any]) -> None:
        self.run_summary.update(values)

    def to_json(self) -> dict[str, Any]:
        sections = []
        for s in self.sections:
            data = {"plot": True} if s.kind == "plot" else s.data
            sections.append({"title": s.title, "kind": s.kind, "class": s.css_class, "data": data})
        return {
            "step": self.step,
            "title": self.title,
            "sections": sections,
            "run_summary": {k: _plain(v) for k, v in self.run_summary.items()},
        }

    def to_html(self) -> str:
        from jinja2 import Environment, PackageLoader, select_autoescape

        env = Environment(
            loader=PackageLoader("flavorkit.recipes", "templates"),
            autoescape=select_autoescape(["html", "j2"]),
        )
        env.filters["cell"] = _cell
        return str(env.get_template("card.html.j2").render(card=self))

    def save(self, directory: Path) -> tuple[Path, Path]:
        """Write ``card.html`` and ``card.json`` into ``directory`` (each atomically)."""
        directory.mkdir(parents=True, exist_ok=True)
        html = directory / "card.html"
        js = directory / "card.json"
        _write_atomic(html, self.to_html())
        _write_atomic(js, json.dumps(self.to_json(), indent=1, default=str))
        return html, js


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy numbers become Python numbers, NaN becomes None."""
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (ValueError, TypeError):
            value = str(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
