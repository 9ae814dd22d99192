"""Business rules. Services take plain values, own the transaction and raise ApiError."""
