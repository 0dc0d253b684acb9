"""Entrypoints: the ways into the service (CLI, HTTP). They call use cases from the container."""
