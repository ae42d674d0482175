"""The one way tests run programs: small-git's CLI in-process (the default), the installed console scripts, and
any other program (git, pre-commit, ssh-keygen).

`small()` calls `small_git.cli.main` in this process, as `small` or `git-small` would be started, with the
working directory, the environment, argv, the standard streams, the recursion limit, the umask, libyaml's
nesting limit and small-git's per-input caches saved before and restored after each call; what a separate
process would start without. A call that does not finish in `timeout` seconds fails the test (SIGALRM
interrupts a blocking open() or read()). What a process boundary alone can prove (a memory limit, a real
`exec`, the console-script wrappers) goes through `installed_small()`; hooks and drivers are always run by git
itself, through the installed `git-small`.
"""

from __future__ import annotations

import io
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from .paths import VENV_BIN

TIMEOUT = 120.0  # seconds; generous for a loaded machine, short enough that a hang is a failure, not a stall
Where = str | os.PathLike[str]


class Result(NamedTuple):
    """What a run produced; unpacks as `code, out, err`."""

    returncode: int
    stdout: str
    stderr: str


def _failure(argv: list[str], result: Result) -> AssertionError:
    return AssertionError(
        f"{' '.join(argv)} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )


def _as_bytes(data: str | bytes | None) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else (data or b"")


# --- any program, as a subprocess ----------------------------------------------------------------------


def run(
    cwd: Where,
    *argv: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    check: bool = False,
    timeout: float = TIMEOUT,
    memory_limit: int | None = None,
) -> Result:
    """Run a program in `cwd` in the test's environment (plus `env`); stdin is `input`, else empty."""
    words = [os.fspath(a) for a in argv]
    limit: Callable[[], None] | None = None
    if memory_limit is not None:
        bound = memory_limit

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (bound, bound))

    proc = subprocess.run(
        words,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        input=_as_bytes(input) if input is not None else None,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        timeout=timeout,
        preexec_fn=limit,
        check=False,
    )
    result = Result(proc.returncode, _decode(proc.stdout), _decode(proc.stderr))
    if check and result.returncode != 0:
        raise _failure(words, result)
    return result


def git(
    cwd: Where, *args: str | os.PathLike[str], env: Mapping[str, str] | None = None, input: str | bytes | None = None
) -> str:
    """`git <args>` in `cwd`: its stdout without surrounding whitespace; a failure fails the test."""
    return run(cwd, "git", *args, env=env, input=input, check=True).stdout.strip()


def installed_small(
    cwd: Where,
    *args: str | os.PathLike[str],
    program: str = "small",
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    check: bool = False,
    timeout: float = TIMEOUT,
    memory_limit: int | None = None,
) -> Result:
    """The installed console script `program` (`small` or `git-small`) as a separate process."""
    return run(
        cwd,
        VENV_BIN / program,
        *args,
        env=env,
        input=input,
        check=check,
        timeout=timeout,
        memory_limit=memory_limit,
    )


# --- small-git's CLI in this process ---------------------------------------------------------------------


class _Hung(BaseException):  # not an Exception: the CLI's last line of defence must not turn it into exit 3
    pass


class _Exited(BaseException):
    def __init__(self, status: int) -> None:
        self.status = status


def _no_exit(status: int) -> NoReturn:
    raise _Exited(status)


def small(
    cwd: Where,
    *args: str | os.PathLike[str],
    program: str = "small",
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    check: bool = False,
    timeout: float = TIMEOUT,
) -> Result:
    """small-git's CLI, in-process, as the installed `program` would run it in `cwd` with the test's
    environment plus `env` and `input` on stdin."""
    words = [os.fspath(a) for a in args]
    result = _in_process(words, Path(cwd), {**os.environ, **(env or {})}, _as_bytes(input), program, timeout)
    if check and result.returncode != 0:
        raise _failure([program, *words], result)
    return result


def _in_process(argv: list[str], cwd: Path, env: dict[str, str], stdin: bytes, program: str, timeout: float) -> Result:
    from small_git.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    streams = (
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    )
    saved = _GlobalState.save()
    code: object = None
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.argv = [str(VENV_BIN / program), *argv]
        sys.stdin, sys.stdout, sys.stderr = streams
        os._exit = _no_exit  # ending the process would end the test run: that needs installed_small()
        with _deadline(timeout, f"{program} {' '.join(argv)}"):
            try:
                main(argv)
            except SystemExit as exc:
                code = exc.code
            except _Exited as exc:
                raise AssertionError(
                    f"{program} {' '.join(argv)} called os._exit({exc.status}): run it with installed_small()"
                ) from None
    finally:
        for stream in streams:
            stream.flush()
        saved.restore()
        for stream in streams:
            stream.detach()  # keeps the buffers readable: a wrapper closes what it wraps when collected
    if not isinstance(code, int):
        raise AssertionError(f"{program} {' '.join(argv)}: main() ended with {code!r}, not an exit code")
    return Result(code, _decode(out.getvalue()), _decode(err.getvalue()))


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class _deadline:
    """Fail the call when it runs past `seconds` (main thread only: signals reach no other thread)."""

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds, self.what = seconds, what
        self.armed = threading.current_thread() is threading.main_thread()
        self.previous: Any = None

    def __enter__(self) -> None:
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def _expired(self, signum: int, frame: object) -> None:
        raise _Hung()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        if isinstance(error, _Hung):
            raise AssertionError(f"{self.what} did not finish within {self.seconds:g} s") from None


class _GlobalState:
    """What one CLI call may change in this process, and putting it back."""

    def __init__(self) -> None:
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.argv = sys.argv
        self.streams = (sys.stdin, sys.stdout, sys.stderr)
        self.recursion_limit = sys.getrecursionlimit()
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.nest_level = _libyaml_nest_level()
        self.exit = os._exit

    @classmethod
    def save(cls) -> _GlobalState:
        return cls()

    def restore(self) -> None:
        sys.stdin, sys.stdout, sys.stderr = self.streams
        sys.argv = self.argv
        os._exit = self.exit
        os.chdir(self.cwd)
        os.environ.clear()
        os.environ.update(self.environ)
        sys.setrecursionlimit(self.recursion_limit)
        os.umask(self.umask)
        _set_libyaml_nest_level(self.nest_level)
        _clear_input_caches()


def _libyaml_nest_level_functions() -> Any:
    from small_git.protocol import yamlsafe

    return getattr(yamlsafe, "_LIBYAML_NEST_LEVEL", None)  # (getter, setter), or None without libyaml's limit


def _libyaml_nest_level() -> int | None:
    functions = _libyaml_nest_level_functions()
    return int(functions[0]()) if functions is not None else None


def _set_libyaml_nest_level(level: int | None) -> None:
    functions = _libyaml_nest_level_functions()
    if functions is not None and level is not None:
        functions[1](level)


# Kept across calls: built from the installed schema files, which no test changes, and costly to rebuild.
_SCHEMA_CACHES = frozenset({"schema", "validator", "_validator_class", "fast_check"})
_caches: dict[int, list[Any]] = {}


def _clear_input_caches() -> None:
    """Empty small-git's memoised per-input results (a fresh process starts without them)."""
    loaded = len(sys.modules)
    if loaded not in _caches:
        _caches.clear()
        _caches[loaded] = [
            value
            for name, module in list(sys.modules.items())
            if name == "small_git" or name.startswith("small_git.")
            for attribute, value in vars(module).items()
            if callable(getattr(value, "cache_clear", None))
            and getattr(value, "__module__", name) == name
            and not (name == "small_git.protocol.schemas" and attribute in _SCHEMA_CACHES)
        ]
    for cached in _caches[loaded]:
        cached.cache_clear()
