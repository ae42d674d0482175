"""The server gate (spec §6.3, §7): pre-receive for plain git, GitLab, Gitea/Forgejo and GitHub Enterprise.

- `layouts`: where each forge runs a repository's pre-receive hook, and installing small-git's gate there;
- `policy`: the server's policy, read from the server's git config and files only;
- `receive`: judging every ref update of a push with the engine, inside git's quarantine;
- `messages`: what the pusher reads (`remote:` blocks, GitLab's `GL-HOOK-ERR:` prefix);
- `failsafe`: the deadline and the server-side log of a gate that fails closed.
"""
