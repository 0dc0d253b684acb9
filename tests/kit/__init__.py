"""The kit's own tests, on a test-only aggregate (widgets.py): no feature is needed."""
