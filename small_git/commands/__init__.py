"""One module per command. Each exposes `run(...) -> int` (the exit code) over already-parsed options."""
