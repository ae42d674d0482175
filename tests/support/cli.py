"""The one way tests run programs: small-git's CLI in-process (the default), the installed console scripts, the
reference CLI, and any other program (git, pre-commit, ssh-keygen).

`small()` calls `small_git.cli.main` in this process, as `small` or `git-small` would be started. What a call
may change in the process is saved before and put back after it: the working directory, the environment,
argv, the standard streams, the recursion limit, the umask, the garbage collector (`main()` pauses it and
freezes what it found), small_git's module-level variables, libyaml's nesting limit, and small_git's memoised
per-input results (emptied, as a new process starts without them).
A call that does not finish in `timeout` seconds fails the test (SIGALRM interrupts a blocking open() or
read()); a call that would end the process (os._exit) fails the test instead of ending the run.

What a process boundary alone can prove (a memory limit, an exit that ends the process, the console-script
wrappers) goes through `installed_small()`; hooks and drivers are always run by git itself, through the
installed `git-small`.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import importlib
import io
import os
import pkgutil
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from .paths import HAVE_REFERENCE_CLI, REFERENCE_CLI, VENV_BIN

TIMEOUT = 120.0  # seconds; generous for a loaded machine, short enough that a hang is a failure, not a stall
THREAD_GRACE = 5.0  # seconds a call's threads get to finish after it returns
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


def run_reference(
    cwd: Where, *args: str | os.PathLike[str], env: Mapping[str, str] | None = None, timeout: float = TIMEOUT
) -> Result:
    """The Go reference CLI (guard the test with `support.paths.needs_reference`), without its update check."""
    assert HAVE_REFERENCE_CLI, "guard the test with @needs_reference"
    quiet = {"SMALL_NO_UPDATE_CHECK": "1", "NO_COLOR": "1", "CI": "1"}
    return run(cwd, REFERENCE_CLI, *args, env={**(env or {}), **quiet}, timeout=timeout)


def forked_small(
    cwd: Where,
    *args: str | os.PathLike[str],
    program: str = "small",
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
    memory_limit: int | None = None,
) -> Result:
    """small-git's CLI in a forked child of this process: a process of its own (an address space bounded by
    `memory_limit`, killed at the timeout, free to end as it likes) without an interpreter's start-up. For
    the many runs of hostile-file tests; stdin is empty."""
    import small_git.cli.app  # imported before the fork, so that no child imports it again

    words = [os.fspath(a) for a in args]
    folder = Path(tempfile.mkdtemp(prefix="forked-"))
    out, err = folder / "stdout", folder / "stderr"
    pid = os.fork()
    if pid == 0:  # the child: never returns
        # A line tracer (coverage) would slow the child down for nothing: what it records there is lost, as
        # the child ends with os._exit.
        sys.settrace(None)
        threading.settrace(None)
        status = 70
        try:
            os.chdir(cwd)
            os.environ.update(env or {})
            if memory_limit is not None:
                resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            for fd, path in ((1, out), (2, err)):
                os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the child ends with them open
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.argv = [str(VENV_BIN / program), *words]
            small_git.cli.main(words)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 70
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(status)
    deadline = time.monotonic() + timeout
    while True:
        done, wait_status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"{program} {' '.join(words)} did not finish within {timeout:g} s (killed)")
        time.sleep(0.01)
    code = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else -os.WTERMSIG(wait_status)
    return Result(code, _decode(out.read_bytes()), _decode(err.read_bytes()))


# --- small-git's CLI in this process ---------------------------------------------------------------------


class _Hung(BaseException):  # not an Exception: the CLI's last line of defence must not turn it into exit 3
    pass


class _Exited(BaseException):
    def __init__(self, status: int) -> None:
        self.status = status


_exits: list[int] = []  # os._exit calls during the current call, from any thread


def _no_exit(status: int) -> NoReturn:
    _exits.append(status)
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
    threads = set(threading.enumerate())
    _exits.clear()
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
            except _Exited:
                pass
        left = _threads_left(threads)
    finally:
        for stream in streams:
            stream.flush()
        saved.restore()
        for stream in streams:
            stream.detach()  # keeps the buffers readable: a wrapper closes what it wraps when collected
    what = f"{program} {' '.join(argv)}"
    if _exits:
        raise AssertionError(f"{what} called os._exit({_exits[0]}): run it with installed_small()")
    if left:
        raise AssertionError(f"{what} left threads running ({', '.join(left)}): run it with installed_small()")
    if not isinstance(code, int):
        raise AssertionError(f"{program} {' '.join(argv)}: main() ended with {code!r}, not an exit code")
    return Result(code, _decode(out.getvalue()), _decode(err.getvalue()))


def _threads_left(before: set[threading.Thread]) -> list[str]:
    """Threads the call started that outlive it (given THREAD_GRACE seconds to finish): one could still end
    the process or write to the call's streams while later tests run."""
    deadline = time.monotonic() + THREAD_GRACE
    started = [t for t in threading.enumerate() if t not in before]
    for thread in started:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t in started if t.is_alive()]


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
        self.collecting = gc.isenabled()
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.exit = os._exit
        self.modules = _SmallGit.get()
        self.globals = self.modules.save_globals()
        self.nest_level = self.modules.libyaml_nest_level()

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
        gc.unfreeze()  # what main() froze is this process's (the test run's) again
        if self.collecting:
            gc.enable()
        else:
            gc.disable()
        os.umask(self.umask)
        self.modules.restore_globals(self.globals)
        self.modules.set_libyaml_nest_level(self.nest_level)
        self.modules.clear_input_caches()


_SCALARS = (bool, int, float, complex, str, bytes, type(None))
_CONTAINERS = (dict, list, set)
# Kept across calls: built from the installed schema files, which no test changes, and costly to rebuild.
_SCHEMA_CACHES = frozenset({"schema", "validator", "_validator_class", "fast_check"})


class _SmallGit:
    """small_git's modules, all imported once (so each call starts from what it found, not from what an
    earlier call imported), their module-level variables, their memoised functions and libyaml's limit."""

    _loaded: _SmallGit | None = None

    @classmethod
    def get(cls) -> _SmallGit:
        if cls._loaded is None:
            cls._loaded = cls()
        return cls._loaded

    def __init__(self) -> None:
        import small_git

        for info in pkgutil.walk_packages(small_git.__path__, "small_git.", onerror=lambda name: None):
            with contextlib.suppress(Exception):  # a module that cannot import fails where it is used
                importlib.import_module(info.name)
        modules = [m for n, m in sorted(sys.modules.items()) if n == "small_git" or n.startswith("small_git.")]
        self.variables = [
            (module, name)
            for module in modules
            for name, value in vars(module).items()
            if not name.startswith("__") and (isinstance(value, _SCALARS) or type(value) in _CONTAINERS)
        ]
        self.caches = [
            value
            for module in modules
            for name, value in vars(module).items()
            if callable(getattr(value, "cache_clear", None))
            and getattr(value, "__module__", None) == module.__name__
            and not (module.__name__ == "small_git.protocol.schemas" and name in _SCHEMA_CACHES)
        ]
        yamlsafe = sys.modules.get("small_git.protocol.yamlsafe")
        self.nest_level_functions: Any = getattr(yamlsafe, "_LIBYAML_NEST_LEVEL", None)  # (getter, setter)

    def save_globals(self) -> list[Any]:
        return [
            value if isinstance(value, _SCALARS) else copy.copy(value)
            for module, name in self.variables
            for value in (getattr(module, name, None),)
        ]

    def restore_globals(self, saved: list[Any]) -> None:
        for (module, name), before in zip(self.variables, saved, strict=True):
            now: Any = getattr(module, name, None)
            if type(before) in _CONTAINERS and type(now) is type(before):
                if now != before:  # put the contents back into the same object: others may hold it
                    now.clear()
                    if isinstance(now, list):
                        now.extend(before)
                    else:
                        now.update(before)
            elif now is not before and now != before:
                setattr(module, name, before)

    def clear_input_caches(self) -> None:
        """Empty small-git's memoised per-input results (a fresh process starts without them)."""
        for cached in self.caches:
            cached.cache_clear()

    def libyaml_nest_level(self) -> int | None:
        functions = self.nest_level_functions
        return int(functions[0]()) if functions is not None else None

    def set_libyaml_nest_level(self, level: int | None) -> None:
        functions = self.nest_level_functions
        if functions is not None and level is not None:
            functions[1](level)
