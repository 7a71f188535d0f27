"""The service: `notecheck serve`'s REST API and the coder's page, on FastAPI and uvicorn (the [serve] extra).

Laid out as FastAPI's "bigger applications" guide does: an app factory (app), one APIRouter per resource
(routers/), what several routers share (dependencies), and the page's static files (web/). It sits above every
other layer: it may import the checker, inputs, outputs and models, and nothing imports it but the CLI.
"""

from .app import app_from_env, create_app
from .settings import SETTINGS_ENV, Settings

__all__ = ["SETTINGS_ENV", "Settings", "app_from_env", "create_app"]
