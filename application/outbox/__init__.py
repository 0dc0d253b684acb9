"""The outbox: emails queued in a transaction, and the relay that delivers them."""
