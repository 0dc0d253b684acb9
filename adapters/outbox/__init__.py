"""The outbox feature's adapters: its table, its repositories on either backend, the email
senders the relay delivers through, and its telemetry."""
