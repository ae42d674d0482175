"""Where small-git meets git: hooks, their installation, the merge driver and lineage after rewrites."""
