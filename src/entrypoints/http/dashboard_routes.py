"""``/dashboard``: a page for admins with charts of sales and stock, drawn in the browser from the
``GET /reports/...`` routes.

The page and its assets hold no data, so they are public; the figures come from the report
routes, which want an admin's bearer token. The page signs the admin in with ``POST /auth/login``
and keeps the tokens in memory (no cookie, hence no CSRF; no storage that outlives the tab). A
strict Content-Security-Policy allows scripts, styles and requests from this origin only.

``dashboard/chart.umd.js`` is Chart.js 4.6.1 (MIT, ``dashboard/chart.js-LICENSE.md``), the
``dist/chart.umd.js`` of the npm package ``chart.js``, vendored as published: no CDN, so a shop
without internet access still draws its charts.
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from entrypoints.http.routing import Operation

ASSETS_PATH = "/dashboard/assets"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data: blob:",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


async def dashboard(request: Request) -> Response:
    page = resources.files("entrypoints.http").joinpath("dashboard.html").read_text("utf-8")
    return HTMLResponse(page, headers=PAGE_HEADERS)


def assets() -> Mount:
    """The page's script, style sheet and Chart.js, as static files."""
    return Mount(
        ASSETS_PATH,
        StaticFiles(packages=[("entrypoints.http", "dashboard")]),
        name="dashboard-assets",
    )


OPERATIONS = [
    Operation(
        method="GET",
        path="/dashboard",
        endpoint=dashboard,
        tag="reports",
        summary="Charts of sales and stock for admins (the page signs in with "
        "POST /auth/login and reads GET /reports/...)",
        responses={200: None},
        media_type="text/html",
    ),
]
