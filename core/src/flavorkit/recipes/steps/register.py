"""``register``: register the trained model in the MLflow Model Registry, if the gate allows.

A ``VALIDATED`` model is registered; an ``UNKNOWN`` one (no criteria) only with
``allow_non_validated_model: true``; a ``REJECTED`` one never (MLflow's code did the same, though
its template README promised otherwise). A refusal fails the step, so ``run()`` fails and CI sees
it. The version is written to ``registered_model_version.json`` for ``predict`` and
``get_artifact("registered_model_version")``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flavorkit.errors import RecipeError
from flavorkit.recipes.config import RecipeConfig
from flavorkit.recipes.types import Step, StepContext

__all__ = ["RegisterStep"]

VERSION_FILE = "registered_model_version.json"


class RegisterStep(Step):
    name = "register"
    inputs = ("train", "evaluate")
    outputs = (VERSION_FILE,)

    def resolved_config(self, config: RecipeConfig) -> dict[str, Any]:
        conf = config.step(self.name)
        conf["model_registry"] = config.section("model_registry")
        conf["experiment"] = config.section("experiment")
        return conf

    def validate(self, config: RecipeConfig) -> None:
        allow = config.step(self.name).get("allow_non_validated_model", False)
        if not isinstance(allow, bool):
            raise RecipeError(
                "key 'steps.register.allow_non_validated_model' must be true or false, "
                f"got {allow!r}"
            )

    def run(self, ctx: StepContext) -> None:
        from flavorkit.recipes import tracking

        status = ctx.input("evaluate", "model_validation_status").read_text().strip()
        allow = bool(ctx.step_config.get("allow_non_validated_model", False))
        name = ctx.config.section("model_registry").get("model_name")
        if status == "REJECTED":
            failed = json.loads(ctx.input("evaluate", "validation.json").read_text())["criteria"]
            why = "; ".join(
                f"test {c['metric']} = {c['value']:.6g} vs threshold {c['threshold']}"
                for c in failed
                if not c["passed"]
            )
            raise RecipeError(
                f"model {name!r} was not registered: it is REJECTED by "
                f"steps.evaluate.validation_criteria ({why}); a rejected model is never registered"
            )
        if status != "VALIDATED" and not allow:
            raise RecipeError(
                f"model {name!r} was not registered: its validation status is {status} (no "
                "steps.evaluate.validation_criteria); add criteria, or set "
                "steps.register.allow_non_validated_model: true"
            )
        run_id = ctx.input("train", "run_id").read_text().strip()
        logged = json.loads(ctx.input("train", "logged_model.json").read_text())
        version = tracking.register_model(ctx.config, logged["model_uri"], run_id)
        version["validation_status"] = status
        (ctx.output_dir / VERSION_FILE).write_text(json.dumps(version, indent=1))
        ctx.card.kv("Registered model version", version)
        ctx.extras["run_id"] = run_id

    def on_card(self, ctx: StepContext, html: Path, json_file: Path) -> None:
        from flavorkit.recipes import tracking

        client = tracking.client_from_config(ctx.config)
        client.log_artifact(ctx.extras["run_id"], str(html), self.name)
