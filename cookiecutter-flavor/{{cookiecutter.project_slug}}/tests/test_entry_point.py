"""flavorkit finds the installed plugin through its entry point, as users get it."""

import json
import os
import shutil
import subprocess
import sysconfig

from {{ cookiecutter.__package_name }} import {{ cookiecutter.__class_name }}


def test_flavors_command_lists_the_plugin() -> None:
    scripts = sysconfig.get_path("scripts")
    command = shutil.which("flavorkit", path=scripts) or shutil.which("flavorkit")
    assert command, "no flavorkit command beside this Python: pip install flavorkit"
    # Strict: a plugin that fails to load raises instead of being reported and skipped.
    env = {**os.environ, "FLAVORKIT_STRICT_PLUGINS": "1"}
    result = subprocess.run(
        [command, "flavors", "--json"],
        capture_output=True,
        check=False,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == []
    rows = [row for row in report["flavors"] if row["name"] == "{{ cookiecutter.__flavor }}"]
    assert len(rows) == 1, f"flavor {{ cookiecutter.__flavor }} not discovered: {report}"
    assert rows[0]["distribution"] == "{{ cookiecutter.project_slug }}"
    assert rows[0]["model_types"] == list({{ cookiecutter.__class_name }}.model_types)
