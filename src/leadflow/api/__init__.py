"""The REST API (FastAPI): routers and request handling, no business logic."""
