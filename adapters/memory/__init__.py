"""The in-memory unit of work: the database's behaviour without a database."""
