"""GET /: the coder's page, one document with its CSS and script inlined, under a CSP that allows only this
service."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()


@cache
def page() -> tuple[str, str]:
    """The page (CSS and script inlined from package data) and its CSP header: it may talk to this service only."""
    web = files("notecheck.service") / "web"
    css, script = (web / "page.css").read_text("utf-8"), (web / "page.js").read_text("utf-8")
    html = (web / "index.html").read_text("utf-8").replace("/*CSS*/", css).replace("/*JS*/", script)

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    csp = (f"default-src 'none'; script-src {digest(script)}; style-src {digest(css)}; connect-src 'self'; "
           "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return html, csp


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index() -> HTMLResponse:
    html, csp = page()
    return HTMLResponse(html, headers={"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff"})
