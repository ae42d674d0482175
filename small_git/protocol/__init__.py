"""The pure protocol core: YAML loading, schemas, rules, replayId, lifecycle. No git, no click, no writes."""
