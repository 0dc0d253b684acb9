"""The kit every feature uses: the use-case shape, the error categories of storage and
transactions, retries, the health check. It imports no feature."""
