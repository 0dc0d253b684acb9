"""The SQLAlchemy 2.x unit of work, for SQLite and PostgreSQL."""
