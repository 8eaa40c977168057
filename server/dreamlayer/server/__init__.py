"""The dream server: a Flask app (app.py) served by waitress (serve.py).

Importing this package loads neither torch nor Flask: ``dreamlayer serve`` first checks its arguments and token
file (startup.py) and fails fast, before the seconds that loading torch and the model take. ``create_app`` and
``DEFAULTS`` are loaded from app.py when first asked for.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULTS", "create_app"]


def __getattr__(name: str) -> Any:  # PEP 562: a lazy attribute of the package
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
