"""Entrypoints: the ways into keel (CLI, HTTP). They call use cases from the container."""
