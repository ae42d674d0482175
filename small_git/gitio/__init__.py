"""Git access and the audit engine: git subprocesses, state from commits and the index, hooks."""
