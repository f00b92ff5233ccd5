"""``python -m flavorkit.cli``: the same as the ``flavorkit`` console script."""

from flavorkit.cli import main

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
