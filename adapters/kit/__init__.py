"""The kit, which every service keeps as it is: the transaction engine, the repository kit,
row storage for memory and SQL, the clock. It imports no feature."""
