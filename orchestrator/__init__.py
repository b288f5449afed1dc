"""Generic asyncio supervision of worker subprocesses (knows nothing of poker)."""
