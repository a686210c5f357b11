"""dawgwasm."""
