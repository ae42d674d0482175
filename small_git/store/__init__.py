"""The workspace store: `.small/` on disk — safe reads, one lock, atomic writes, byte appends."""
