"""The Swagger UI page of ``/docs``, with its assets served by this server: it works offline.

FastAPI's default page loads Swagger UI from a CDN, so on a machine without internet (most
production networks) ``/docs`` is a blank page. The assets here come from the ``fastapi-swagger``
distribution (a dependency of the ``serve`` extra), which ships a current Swagger UI 5 build;
``swagger-ui-bundle``, the better-known package, still ships Swagger UI 4.15, which cannot render
an OpenAPI 3.1 document such as ours. The page sends no request anywhere but this server.
"""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["ASSETS", "asset", "page"]

#: URL path under ``/docs/`` -> (file in the package, media type)
ASSETS = {
    "swagger-ui-bundle.js": ("swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": ("swagger-ui.css", "text/css"),
}


@functools.lru_cache(maxsize=len(ASSETS))
def asset(name: str) -> tuple[bytes, str]:
    """``(content, media type)`` of one asset; KeyError for a name not in :data:`ASSETS`."""
    filename, media_type = ASSETS[name]
    return (resources.files("fastapi_swagger.resources") / filename).read_bytes(), media_type


def page(title: str, openapi_url: str = "/openapi.json") -> str:
    """The HTML of ``/docs``: Swagger UI on ``openapi_url``, "Try it out" on, no external URL."""
    from fastapi.openapi.docs import get_swagger_ui_html

    response = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url="/docs/swagger-ui-bundle.js",
        swagger_css_url="/docs/swagger-ui.css",
        swagger_favicon_url="data:,",
        swagger_ui_parameters={"tryItOutEnabled": True, "displayRequestDuration": True},
    )
    return bytes(response.body).decode()
