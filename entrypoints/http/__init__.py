"""The HTTP API (FastAPI): `create_app(container)` builds it from a wired container."""
