"""{{ cookiecutter.project_slug }}: the ``{{ cookiecutter.__flavor }}`` flavor for flavorkit.

The entry point in ``pyproject.toml``::

    {{ cookiecutter.__flavor }} = "{{ cookiecutter.__package_name }}:{{ cookiecutter.__class_name }}"

registers :class:`{{ cookiecutter.__class_name }}`, so that ``flavorkit.save_model(model, path)``
detects this flavor's models and ``flavorkit.load_model(path)`` loads them.

flavorkit imports this module to discover flavors, before any model is saved or loaded, so it
stays light: it imports no {{ cookiecutter.framework_import_name }} (the flavor imports its framework inside its
methods), and the conformance suite checks that.
"""

from {{ cookiecutter.__package_name }}.flavor import {{ cookiecutter.__class_name }}

__version__ = "0.1.0"

__all__ = ["{{ cookiecutter.__class_name }}"]
