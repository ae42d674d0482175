"""The audit engine every gate calls (spec §6): transitions, append-only progress, human authority,
evidence and redaction."""
