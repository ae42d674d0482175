"""What the gates learnt about a progress log, kept by blob id so that no log is read in full twice.

Facts (`protocol.append.LogFacts`) are kept in memory for one judgement and on disk inside the git directory,
in `small-git/facts/` (never the work tree). Each file names the blob it is about and carries a checksum of
its content; a file that does not verify, is about another blob, or does not fit the log it is asked about
is ignored and written again from the log itself. Deleting the folder is always safe: it only makes the next
judgement read the logs in full again. Nothing is written while the judgement runs inside a push's
quarantine (the objects may vanish): the pre-receive gate writes what it learnt only once the push is
accepted (`keep`). Nothing is written when the git directory cannot be written.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path

from small_git.errors import SmallError
from small_git.git import plumbing as git
from small_git.git.runner import GitError
from small_git.protocol.append import FORMAT, LogFacts, log_facts
from small_git.protocol.state import State
from small_git.store.atomic import write_cache_file

FACTS_DIR = "small-git/facts"
_MEMORY = 64  # facts kept in memory: a walk needs the parent's, flat in the number of commits


def _checksum(key: str, value: object) -> str:
    text = json.dumps([FORMAT, key, value], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class FactsCache:
    def __init__(self, repo: Path, *, persist: bool = True, folder: Path | None = None) -> None:
        self.repo = repo
        self.persist = persist
        self._folder = folder
        self._looked_up = folder is not None
        self._memory: OrderedDict[str, LogFacts] = OrderedDict()
        self._unsaved: OrderedDict[str, LogFacts] = OrderedDict()  # learnt while not persisting (see keep)
        self.full_reads = 0  # logs read in full to learn their facts (for tests and benchmarks)

    # --- the folder ---------------------------------------------------------------------------------------

    def folder(self) -> Path | None:
        if not self._looked_up:
            self._looked_up = True
            try:
                self._folder = git.git_path(FACTS_DIR, self.repo)
            except (GitError, SmallError, OSError):
                self._folder = None
        return self._folder

    def _file(self, oid: str) -> Path | None:
        folder = self.folder()
        if folder is None or len(oid) < 4 or not all(c in "0123456789abcdef" for c in oid):
            return None
        return folder / oid[:2] / f"{oid[2:]}.json"

    def _load(self, oid: str) -> LogFacts | None:
        path = self._file(oid)
        if path is None:
            return None
        try:
            stored = json.loads(path.read_bytes())
            if (
                not isinstance(stored, dict)
                or stored.get("format") != FORMAT
                or stored.get("key") != oid
                or stored.get("check") != _checksum(oid, stored.get("facts"))
            ):
                return None
        except (OSError, ValueError):
            return None
        facts = LogFacts.from_json(stored.get("facts"))
        return facts if facts is not None and facts.oid == oid else None

    def _store(self, facts: LogFacts) -> None:
        path = self._file(facts.oid)
        if path is None or not self.persist:
            return
        write_cache_file(path, _record(facts))  # unwritable: the facts are simply learnt again next time

    # --- facts --------------------------------------------------------------------------------------------

    def remember(self, facts: LogFacts, persist: bool = False) -> None:
        if not facts.oid:
            return
        self._memory[facts.oid] = facts
        self._memory.move_to_end(facts.oid)
        while len(self._memory) > _MEMORY:
            self._memory.popitem(last=False)
        if persist and self.persist:
            self._store(facts)
        elif persist:
            self._unsaved[facts.oid] = facts
            while len(self._unsaved) > _MEMORY:
                self._unsaved.popitem(last=False)

    def keep(self) -> None:
        """Write the facts learnt while writing was off: the pre-receive gate calls it once a push is accepted
        (its objects then stay), so the next push does not read those logs in full again. A refused push
        leaves nothing behind."""
        for facts in self._unsaved.values():
            path = self._file(facts.oid)
            if path is not None and not path.exists():
                self.persist, saved = True, self.persist
                try:
                    self._store(facts)
                finally:
                    self.persist = saved
        self._unsaved.clear()

    def known(self, state: State) -> LogFacts | None:
        """The facts of the state's log when already known (memory, then disk) and fitting its bytes."""
        entry = state.files["progress"]
        size = entry.size
        if entry.oid is None or size is None:
            return None
        facts = self._memory.get(entry.oid)
        if facts is None:
            facts = self._load(entry.oid)
            if facts is not None:
                self.remember(facts)
        if facts is None or facts.size != size or facts.header_end > size:
            return None
        return facts

    def of(self, state: State) -> LogFacts | None:
        """The facts of the state's log: known ones, or learnt by reading it in full (then kept). None when
        an append to it cannot be read on its own (or it cannot be read at all)."""
        facts = self.known(state)
        if facts is not None:
            return facts
        entry = state.files["progress"]
        if entry.oid is None or entry.raw is None or entry.problem is not None:
            return None
        try:
            doc = state.load("progress")
        except SmallError:
            return None
        self.full_reads += 1
        facts = log_facts(entry.raw, doc, entry.oid)
        if facts is not None:
            self.remember(facts, persist=True)
        return facts


def _record(facts: LogFacts) -> bytes:
    """The cache file's bytes: the facts with the blob they describe and a checksum over both."""
    value = facts.to_json()
    document = {"format": FORMAT, "key": facts.oid, "facts": value, "check": _checksum(facts.oid, value)}
    return json.dumps(document).encode("utf-8")


def learn_branch_tips(repo: Path) -> int:
    """Read the progress logs at every branch tip once and keep their facts: what `git small install` does on
    a server, so that its first push onto a long log judges only what that push adds. Returns how many logs
    were learnt. A log that cannot be read is left for the gate to judge in full."""
    from small_git.git.objects import ObjectReader
    from small_git.git.states import state_at, workspaces_in

    tips = git.run_git(["for-each-ref", "--format=%(objectname)", "refs/heads/"], repo, check=False).split()
    cache = FactsCache(repo)
    learnt = 0
    with ObjectReader(repo) as objects:
        for tip in dict.fromkeys(tips):
            for prefix in workspaces_in(tip, repo):
                state = state_at(tip, prefix, repo, objects)
                if state is not None and cache.of(state) is not None:
                    learnt += 1
    return learnt
