"""One APIRouter per resource: check, batch, query, worksheet, schema (under /v1), health and the page."""
