"""Reference designs measured beside ours in the same run (the queue-polling pool our users had)."""
