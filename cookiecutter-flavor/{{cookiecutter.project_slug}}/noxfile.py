"""``nox`` runs the tests against a fresh, non-editable install of this plugin.

Non-editable on purpose: a module or an entry point missing from the built package fails here,
not for your users.
"""

import nox


@nox.session
def tests(session: nox.Session) -> None:
    """The plugin's tests, the flavorkit conformance suite included."""
    session.install(".[test]")
    # A plugin that fails to load raises instead of being reported and skipped.
    session.env["FLAVORKIT_STRICT_PLUGINS"] = "1"
    session.run("pytest", *session.posargs)
