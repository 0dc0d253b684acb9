"""The kit's row storage on SQLAlchemy 2.x, for SQLite and PostgreSQL."""
