"""``Recipe``: the API MLflow Recipes users know (run, inspect, clean, get_artifact).

The configuration is re-read on every call, as MLflow did, so editing ``recipe.yaml`` or a
profile between calls takes effect without a new object.
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.cache import StepCache, canonical_digest
from flavorkit.recipes.config import RecipeConfig, find_recipe_root, load_recipe_config
from flavorkit.recipes.runner import Runner, RunReport
from flavorkit.recipes.types import RecipeType, load_recipe_type

__all__ = ["Recipe"]


class Recipe:
    """A recipe root under one profile.

    ``root`` is searched upwards for ``recipe.yaml``; ``cache_dir`` (default
    ``<root>/.flavorkit-recipe``, or ``$FLAVORKIT_RECIPES_CACHE_DIR``) holds the step cache;
    ``echo`` receives the one-line outcome of each step (``print`` by default).
    """

    def __init__(
        self,
        profile: str | None = None,
        root: str | os.PathLike[str] = ".",
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        echo: Callable[[str], None] | None = None,
    ):
        self.root = find_recipe_root(root)
        self.profile = profile
        self._cache_dir = cache_dir
        self.echo = echo if echo is not None else print
        self.config  # noqa: B018 - fail early on a bad profile or recipe type
        self.cache = StepCache.for_root(self.root, cache_dir)

    @property
    def config(self) -> RecipeConfig:
        return load_recipe_config(self.root, self.profile)

    def _type(self, config: RecipeConfig) -> RecipeType:
        return load_recipe_type(config.recipe_type)

    def _runner(self) -> Runner:
        config = self.config
        return Runner(config, self._type(config), self.cache, self.echo)

    def run(self, step: str | None = None) -> RunReport:
        """Run ``step`` (default: through ``register``) and whatever upstream it needs."""
        return self._runner().run(step)

    def clean(self, step: str | None = None) -> None:
        """Forget ``step``'s cached outputs and those of every step downstream (all, if None)."""
        config = self.config
        rtype = self._type(config)
        if step is None:
            self.cache.clean(list(rtype.steps))
            return
        if step not in rtype.steps:
            raise RecipeError(f"unknown step {step!r}: steps are {', '.join(rtype.steps)}")
        self.cache.clean(rtype.downstream(step))

    def get_artifact(self, name: str) -> Any:
        """An artifact by MLflow's name (``model``, ``test_data``...); None if not produced."""
        config = self.config
        rtype = self._type(config)
        artifact = rtype.artifacts.get(name)
        if artifact is None:
            raise RecipeError(
                f"unknown artifact {name!r}: known artifacts are {', '.join(rtype.artifacts)}"
            )
        entry = self.cache.current(artifact.step, config.profile)
        if entry is None:
            return None
        return artifact.load(entry.outputs, config)

    def status(self) -> list[dict[str, Any]]:
        """Each step's state (SUCCEEDED/FAILED/RUNNING/NOT RUN), freshness and card."""
        config = self.config
        rtype = self._type(config)
        runner = Runner(config, rtype, self.cache, lambda _: None)
        rows: list[dict[str, Any]] = []
        known: dict[str, Any] = {}
        for name, step in rtype.steps.items():
            entry = self.cache.current(name, config.profile)
            state = self.cache.read_state(name) or {}
            fresh: bool | None = None
            if entry is not None and all(i in known for i in step.inputs):
                try:
                    parts, _ = runner.components(step, known)
                    fresh = canonical_digest(parts)[:24] == entry.key
                except (RecipeError, OSError):
                    fresh = False
            if entry is not None and fresh:
                known[name] = entry
            failed_card = self.cache.step_dir(name) / "failed" / "card.html"
            card = None
            if state.get("status") == "FAILED" and failed_card.exists():
                card = failed_card
            elif entry is not None:
                card = entry.path / "card.html"
            rows.append(
                {
                    "step": name,
                    "status": state.get("status", "NOT RUN") if entry or state else "NOT RUN",
                    "up_to_date": bool(fresh),
                    "card": str(card) if card else None,
                    "error": state.get("error"),
                }
            )
        return rows

    def inspect(self, step: str | None = None) -> Path:
        """The HTML of ``step``'s card, or of the recipe's DAG with each step's state.

        In IPython the page is displayed; elsewhere its path is returned (and printed by the CLI).
        """
        rows = self.status()
        if step is None:
            path = self._write_dag(rows)
        else:
            match = [r for r in rows if r["step"] == step]
            if not match:
                raise RecipeError(
                    f"unknown step {step!r}: steps are {', '.join(r['step'] for r in rows)}"
                )
            if match[0]["card"] is None:
                raise RecipeError(
                    f"step {step!r} has no card yet: run it first (flavorkit recipes run --step "
                    f"{step})"
                )
            path = Path(match[0]["card"])
        if "IPython" in sys.modules:
            try:
                from IPython.display import HTML, display  # type: ignore[import-not-found]

                display(HTML(path.read_text("utf-8")))
            except Exception:  # not a notebook after all: the path is the answer
                return path
        return path

    def _write_dag(self, rows: list[dict[str, Any]]) -> Path:
        config = self.config
        rtype = self._type(config)
        items = []
        for row in rows:
            step = rtype.steps[row["step"]]
            state = row["status"] + (
                "" if row["up_to_date"] or row["status"] != "SUCCEEDED" else " (stale)"
            )
            link = (
                f'<a href="{html.escape(Path(row["card"]).as_uri())}">card</a>'
                if row["card"]
                else ""
            )
            upstream = ", ".join(step.inputs) or "—"
            items.append(
                f"<tr><td>{html.escape(row['step'])}</td><td>{html.escape(upstream)}</td>"
                f"<td class='s-{html.escape(row['status'].replace(' ', '_'))}'>{html.escape(state)}"
                f"</td><td>{link}</td></tr>"
            )
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(rtype.name)} recipe</title><style>body{{font-family:system-ui,"
            "sans-serif;margin:24px}}table{border-collapse:collapse}td,th{border-bottom:1px solid"
            " #ddd;padding:4px 12px;text-align:left}.s-SUCCEEDED{color:#17803d}.s-FAILED"
            "{color:#b42318}</style></head><body>"
            f"<h1>{html.escape(self.root.name)}: {html.escape(rtype.name)} "
            f"(profile {html.escape(config.profile)})</h1><table><thead><tr><th>step</th>"
            "<th>reads</th><th>state</th><th>card</th></tr></thead><tbody>"
            + "".join(items)
            + "</tbody></table></body></html>"
        )
        path = self.cache.directory / "recipe_dag.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        return path
