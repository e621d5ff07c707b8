"""/docs works without internet: the page references only Aduan's own URLs and they are served."""
from __future__ import annotations

import re


async def test_docs_page_uses_only_local_assets(client) -> None:
    r = await client.get("/docs")
    assert r.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""", r.text)
    refs = [a or b for a, b in urls]
    assert refs, "the page should reference its script and stylesheet"
    for ref in refs:
        assert ref.startswith("/"), f"{ref} is not a local URL"
        assert not ref.startswith("//")
    for ref in refs:
        asset = await client.get(ref)
        assert asset.status_code == 200, ref
    script = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert len(script.content) > 100_000 and "SwaggerUIBundle" in script.text
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "Aduan"


async def test_redoc_is_not_a_blank_cdn_page(client) -> None:
    assert (await client.get("/redoc")).status_code == 404
