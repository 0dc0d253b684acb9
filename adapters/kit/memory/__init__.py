"""The kit's row storage in memory: a database with the rules a table declares."""
