"""Git access: one funnel for git subprocesses, a workspace's state at a commit or in the index."""
