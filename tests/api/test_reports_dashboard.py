"""GET /dashboard and its assets: a page with no data and no inline script, a strict
Content-Security-Policy, and Chart.js served from this origin (no CDN)."""

from __future__ import annotations

import re

from api.support import Api


async def test_the_dashboard_page_and_its_assets(api: Api) -> None:
    page = await api.http.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts
    assert all('src="/dashboard/assets/' in attrs and not body.strip() for attrs, body in scripts)
    for src in re.findall(r'(?:src|href)="(/dashboard/assets/[^"]+)"', page.text):
        asset = await api.http.get(src)
        assert asset.status_code == 200, src
    chart = await api.http.get("/dashboard/assets/chart.umd.js")
    assert chart.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert chart.text.startswith("/*!\n * Chart.js v4")  # the license header is kept
    assert "MIT License" in (await api.http.get("/dashboard/assets/chart.js-LICENSE.md")).text
    assert (await api.http.get("/dashboard/assets/nope.js")).status_code == 404


async def test_the_dashboard_is_in_the_openapi_document(api: Api) -> None:
    document = (await api.http.get("/openapi.json")).json()
    assert "text/html" in document["paths"]["/dashboard"]["get"]["responses"]["200"]["content"]
