"""Edits to `plan.small.yml` that keep the formatting and comments of everything they do not touch.

Each edit is a text edit at the lines the loader reports (replace one `status:` line, insert a line, append a
task block with the indentation the file already uses, move or delete a task's lines). The result is parsed
again and must equal exactly the intended data; if it does not (an unusual layout, such as flow-style tasks),
the plan is written out whole from the intended data instead, which is correct but drops comments.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from small_git.errors import EXIT_USAGE, SmallError
from small_git.protocol.artifacts import display_path
from small_git.protocol.emitter import emit_document, quote
from small_git.protocol.yamlsafe import YamlError
from small_git.store.reader import parse_yaml

_SOURCE = display_path("plan")
_KEY_LINE = re.compile(r"^(?P<lead>\s*(?:-\s+)*)(?P<q>[\"']?)(?P<key>[A-Za-z_][A-Za-z0-9_-]*)(?P=q)\s*:(?P<rest>.*)$")
_TASK_ID = re.compile(r"^task-([0-9]+)\Z")  # ASCII: int() would read "task-٣" as 3


def dependencies_of(task: dict[str, Any]) -> list[str]:
    """A task's dependencies, from `depends_on` and `dependencies` (both are read)."""
    out: list[str] = []
    for key in ("dependencies", "depends_on"):
        value = task.get(key)
        if isinstance(value, list):
            out += [v for v in value if isinstance(v, str) and v not in out]
    return out


class PlanEditor:
    """Apply edits to a plan's bytes. `data` is always the intended result; `result()` gives the bytes."""

    def __init__(self, raw: bytes) -> None:
        self.doc = parse_yaml(raw, _SOURCE)
        if not isinstance(self.doc.data, dict):
            raise SmallError(
                f"{_SOURCE} must hold a mapping with tasks",
                exit_code=EXIT_USAGE,
                file=_SOURCE,
                hint="repair it by hand, or start over with: small plan --reset --yes",
            )
        self.data: dict[str, Any] = copy.deepcopy(self.doc.data)
        tasks = self.data.get("tasks")
        if tasks is not None and not isinstance(tasks, list):
            raise SmallError(f"{_SOURCE}: tasks must be a list", exit_code=EXIT_USAGE, file=_SOURCE)
        self.raw = raw

    # ------------------------------------------------------------------ queries

    @property
    def tasks(self) -> list[dict[str, Any]]:
        tasks = self.data.get("tasks")
        return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []

    def index_of(self, task_id: str) -> int:
        tasks = self.data.get("tasks")
        for index, task in enumerate(tasks if isinstance(tasks, list) else []):
            if isinstance(task, dict) and task.get("id") == task_id:
                return index
        known = ", ".join(str(t.get("id")) for t in self.tasks) or "none"
        raise SmallError(f"task {task_id!r} is not in the plan (tasks: {known})", exit_code=EXIT_USAGE, file=_SOURCE)

    def task(self, task_id: str) -> dict[str, Any]:
        index = self.index_of(task_id)  # first: a plan without a list of tasks has no task to return
        return self.data["tasks"][index]  # type: ignore[no-any-return]

    def next_task_id(self) -> str:
        numbers = [
            int(m.group(1)) for t in self.tasks if isinstance(t.get("id"), str) and (m := _TASK_ID.match(t["id"]))
        ]
        return f"task-{max(numbers, default=0) + 1}"

    def result(self) -> bytes:
        return self.raw

    # ------------------------------------------------------------------ edits

    def set_status(self, task_id: str, status: str) -> None:
        index = self.index_of(task_id)
        had = "status" in self.data["tasks"][index]
        self.data["tasks"][index]["status"] = status
        lines = self._lines()
        if had:
            self._replace_value(lines, ("tasks", index, "status"), quote(status))
        else:
            self._insert_key(lines, index, f"status: {quote(status)}")
        self._commit(lines)

    def add_task(self, title: str, task_id: str | None = None) -> str:
        if not title.strip():
            raise SmallError("a task needs a non-empty title", exit_code=EXIT_USAGE)
        new_id = task_id or self.next_task_id()
        if any(t.get("id") == new_id for t in self.tasks):
            raise SmallError(f"task {new_id!r} is already in the plan", exit_code=EXIT_USAGE)
        task = {"id": new_id, "title": title, "status": "pending"}
        tasks = self.data.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            self.data["tasks"] = [task]
            self._rewrite()
            return new_id
        tasks.append(task)
        lines = self._lines()
        first = self.doc.line_of(("tasks", 0))
        match = re.match(r"^(\s*-\s+)", lines[first - 1]) if first else None
        if not match:
            self._rewrite()
            return new_id
        lead = match.group(1)
        pad = " " * len(lead)
        block = [
            f"{lead}id: {quote(new_id)}",
            f"{pad}title: {quote(title)}",
            f"{pad}status: {quote('pending')}",
        ]
        at = self._block_end(lines, len(tasks) - 2, trim=True)
        self._insert_lines(lines, at, block)
        self._commit(lines)
        return new_id

    def add_dependency(self, task_id: str, dependency: str) -> None:
        index = self.index_of(task_id)
        self.index_of(dependency)
        if task_id == dependency:
            raise SmallError(f"task {task_id!r} cannot depend on itself", exit_code=EXIT_USAGE)
        task = self.data["tasks"][index]
        if dependency in dependencies_of(task):
            raise SmallError(f"{task_id} already depends on {dependency}", exit_code=EXIT_USAGE)
        cycle = self._cycle_with(task_id, dependency)
        if cycle:
            raise SmallError(
                f"{task_id} cannot depend on {dependency}: that makes a cycle ({' -> '.join(cycle)})",
                exit_code=EXIT_USAGE,
            )
        key = next((k for k in ("dependencies", "depends_on") if isinstance(task.get(k), list)), None)
        lines = self._lines()
        if key is None:
            key = "dependencies"
            if key in task:  # present but not a list (null): replace its value
                task[key] = [dependency]
                self._replace_value(lines, ("tasks", index, key), f"[{quote(dependency)}]")
            else:
                task[key] = [dependency]
                self._insert_key(lines, index, f"{key}: [{quote(dependency)}]")
            self._commit(lines)
            return
        current: list[Any] = task[key]
        current.append(dependency)
        key_line = self.doc.line_of(("tasks", index, key))
        last_line = self.doc.line_of(("tasks", index, key, len(current) - 2)) if len(current) > 1 else None
        if last_line and key_line and last_line > key_line:
            match = re.match(r"^(\s*-\s+)", lines[last_line - 1])
            if match:
                self._insert_lines(lines, last_line, [f"{match.group(1)}{quote(dependency)}"])
                self._commit(lines)
                return
        self._replace_value(lines, ("tasks", index, key), "[" + ", ".join(quote(str(v)) for v in current) + "]")
        self._commit(lines)

    def remove_task(self, task_id: str) -> None:
        index = self.index_of(task_id)
        dependents = [str(t.get("id")) for t in self.tasks if task_id in dependencies_of(t)]
        if dependents:
            raise SmallError(
                f"cannot remove {task_id}: {', '.join(dependents)} depend(s) on it",
                exit_code=EXIT_USAGE,
                hint="remove those dependencies first, or cancel the task: "
                f"small checkpoint --task {task_id} --status cancelled",
            )
        if len(self.data["tasks"]) == 1:
            raise SmallError(f"cannot remove {task_id}: a plan needs at least one task", exit_code=EXIT_USAGE)
        lines = self._lines()
        start = self._block_start(index)
        end = self._block_end(lines, index, trim=index == len(self.data["tasks"]) - 1)
        del self.data["tasks"][index]
        if start is None:
            self._rewrite()
            return
        del lines[start - 1 : end]
        self._commit(lines)

    def move_task(self, task_id: str, before: str | None = None, after: str | None = None) -> None:
        if (before is None) == (after is None):
            raise SmallError("say where to move the task: --before ID or --after ID", exit_code=EXIT_USAGE)
        index = self.index_of(task_id)
        anchor = self.index_of(before or after or "")
        if anchor == index:
            raise SmallError(f"cannot move {task_id} relative to itself", exit_code=EXIT_USAGE)
        tasks: list[Any] = self.data["tasks"]
        task = tasks.pop(index)
        target = anchor - (1 if anchor > index else 0)
        tasks.insert(target if before else target + 1, task)
        lines = self._lines()
        count = len(tasks)
        starts = [self._block_start(i) for i in range(count)]
        if any(s is None for s in starts):
            self._rewrite()
            return
        blocks = []
        for i in range(count):
            start = starts[i]
            assert start is not None
            # comments between tasks travel with the task above them; the last block stops at its content
            end = self._block_end(lines, i, trim=i == count - 1)
            chunk = lines[start - 1 : end]
            if chunk and not chunk[-1].endswith("\n"):
                chunk[-1] += self._newline()
            blocks.append(chunk)
        head_start = starts[0]
        assert head_start is not None
        tail_start = self._block_end(lines, count - 1, trim=True)
        moved = blocks.pop(index)
        blocks.insert(target if before else target + 1, moved)
        lines[head_start - 1 : tail_start] = [line for block in blocks for line in block]
        self._commit(lines)

    # ------------------------------------------------------------------ text helpers

    def _newline(self) -> str:
        return "\r\n" if b"\r\n" in self.raw else "\n"

    def _lines(self) -> list[str]:
        try:
            text = self.raw.decode("utf-8")
        except UnicodeDecodeError:
            return []
        return text.splitlines(keepends=True)

    def _block_start(self, index: int) -> int | None:
        line = self.doc.line_of(("tasks", index))
        tasks_line = self.doc.line_of(("tasks",))
        return line if line and tasks_line and line > tasks_line else None

    def _block_end(self, lines: list[str], index: int, trim: bool) -> int:
        """The line number after the last line of task `index` (1-based, exclusive end as a 0-based index)."""
        following = self._block_start(index + 1) if index + 1 < len(self.doc.data.get("tasks") or []) else None
        if following is not None:
            end = following - 1
        else:
            start = self._block_start(index) or 1
            end = len(lines)
            for number in range(start, len(lines)):
                text = lines[number]
                if text.strip() and not text.startswith((" ", "\t", "#", "-")):
                    end = number
                    break
        if trim:
            while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
                end -= 1
        return end

    def _insert_lines(self, lines: list[str], at: int, new: list[str]) -> None:
        newline = self._newline()
        if at > 0 and lines and not lines[at - 1].endswith("\n"):
            lines[at - 1] += newline
        lines[at:at] = [line + newline for line in new]

    def _replace_value(self, lines: list[str], path: tuple[Any, ...], value: str) -> None:
        number = self.doc.line_of(path)
        if not lines or not number:
            lines.clear()
            return
        text = lines[number - 1]
        body = text.rstrip("\r\n")
        ending = text[len(body) :]
        key = str(path[-1])
        match = re.search(rf"(^|[\s{{,])([\"']?){re.escape(key)}\2\s*:", body)
        if not match:
            lines.clear()
            return
        comment = re.search(r"\s+#[^\"']*$", body[match.end() :])
        lines[number - 1] = body[: match.end()] + " " + value + (comment.group(0) if comment else "") + ending

    def _insert_key(self, lines: list[str], index: int, text: str) -> None:
        """Insert `key: value` as a new member of task `index`, after its id line."""
        number = self.doc.line_of(("tasks", index, "id"))
        if not lines or not number:
            lines.clear()
            return
        match = _KEY_LINE.match(lines[number - 1].rstrip("\r\n"))
        if not match or match.group("key") != "id":
            lines.clear()
            return
        self._insert_lines(lines, number, [" " * len(match.group("lead")) + text])

    def _commit(self, lines: list[str]) -> None:
        """Keep the text edit if it parses to exactly the intended data; otherwise write the data whole."""
        if lines:
            candidate = "".join(lines).encode("utf-8")
            try:
                parsed = parse_yaml(candidate, _SOURCE).data
            except YamlError:
                parsed = None
            if parsed == self.data:
                self.raw = candidate
                self.doc = parse_yaml(candidate, _SOURCE)
                return
        self._rewrite()

    def _rewrite(self) -> None:
        self.raw = emit_document(self.data)
        self.doc = parse_yaml(self.raw, _SOURCE)

    def _cycle_with(self, task_id: str, dependency: str) -> list[str] | None:
        """The path dependency -> ... -> task_id if adding task_id -> dependency closes a cycle."""
        edges = {str(t.get("id")): dependencies_of(t) for t in self.tasks}
        stack: list[tuple[str, list[str]]] = [(dependency, [task_id, dependency])]
        seen: set[str] = set()
        while stack:
            node, path = stack.pop()
            if node == task_id:
                return path
            if node in seen:
                continue
            seen.add(node)
            stack += [(nxt, path + [nxt]) for nxt in edges.get(node, [])]
        return None
