"""Reporters: turn results into text, JSON or hook output. Commands decide what to report, not how."""
