"""The kit every service built on keel keeps as it is: the transaction engine, the repository
kit, row storage for memory and SQL, the clock. It imports no feature."""
