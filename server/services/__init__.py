"""Business rules (the use cases): services take plain values, own the transaction, raise domain errors."""
