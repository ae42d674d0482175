"""What the tests share, defined once.

- `support.cli`: the one runner. `small()` runs small-git's CLI in-process (the default: fast, and isolated
  per call); `installed_small()` runs the installed console script; `run()` and `git()` run anything else.
  All return a `Result` (`returncode`, `stdout`, `stderr`; unpacks as `code, out, err`).
- `support.env`: the one environment cleaner (`clean_env`) and the one human identity (`HUMAN`).
- `support.repo`: scratch repositories (`Repo`, `seeded_repo`, `plain_workspace`, `configure_signing`).
- `support.workspace`: valid workspace contents (`WORKSPACE_FILES`, `BASE_FILES`, `entry`, `progress_yaml`)
  and `snapshot()` of a folder, to show nothing changed.
- `support.paths`: this checkout, the installed scripts, and the reference data (`CONFORMANCE`,
  `REFERENCE_CLI`) with the markers that skip without it.
- `support.guard`: what `no_writes_outside_tmp` in tests/conftest.py watches.
- `support.golden`: `matches_golden()` against tests/golden/, and `writes_golden` for the tests that may
  write a missing one.
- `support.history`: the scripted history the log and review tests read.
- `support.prebuilt`: folders costly to build (a seeded repository, a history made through the hooks, the
  wheel) built once per run, shared by the xdist workers, and copied into each test that starts from one.

Fixtures (tests/conftest.py): `repo` (an empty git repository), `signed_repo`, `scripted` (the scripted
history, built once per run), `wheel`, `prebuilt`, and, for every test, the isolated environment and the write
guard.
"""
