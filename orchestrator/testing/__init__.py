"""A deterministic job and a fault-injecting worker for testing the orchestrator with real processes."""
