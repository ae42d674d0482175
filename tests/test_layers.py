"""The layer table of docs/architecture.md holds in the code: every import of every module (function-level ones
included) goes only where its layer's row allows; no command module imports another; the CLI reaches only
commands/ and click; nothing outside report/ prints JSON; no import cycles."""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.paths import PROJECT

ROOT = PROJECT
PACKAGE = ROOT / "small_git"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
# Importable by every layer: the one error type, and the version constants of the package itself.
SHARED = {"small_git", "small_git.errors"}
LAYER_NAMES = {"protocol", "store", "git", "gates", "report", "integration", "workflow", "commands", "cli"}
# Command modules that still write their own lines to stdout/stderr instead of report/console (their JSON
# already goes through report/json_report), or whose run() does not take a request yet. The lists may only
# shrink.
PRINTING_COMMANDS: set[str] = set()
NO_REQUEST_YET: set[str] = set()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports (a module of small_git, or a top-level third-party name)
    line: int
    top_level: bool  # run when the module is imported (not inside a function)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, node.lineno, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append(Import(name, full if full in MODULES else base, node.lineno, id(node) in top))
    return found


IMPORTS = [imp for name, path in MODULES.items() for imp in _imports(name, path)]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "small_git" and parts[1] in LAYER_NAMES else None


def _documented_table() -> dict[str, set[str]]:
    """layer package name -> the layers its row says it may import."""
    table: dict[str, set[str]] = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|[^|]*\| `small_git/([a-z_]+)/` \|[^|]*\| ([^|]*) \|$", line)
        if match:
            # "protocol, gates (their result models)": the first word of each item names a layer
            allowed = {item.split()[0] for item in match.group(2).split(",") if item.strip()}
            table[match.group(1)] = allowed & LAYER_NAMES
    return table


TABLE = _documented_table()


def test_the_documented_table_names_every_package() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert set(TABLE) == packages, "docs/architecture.md's layer table and small_git/'s packages differ"


@pytest.mark.parametrize("layer", sorted(TABLE))
def test_each_layer_imports_only_what_its_row_allows(layer: str) -> None:
    allowed = TABLE[layer] | {layer}
    wrong = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in IMPORTS
        if _layer(imp.module) == layer
        and imp.target.startswith("small_git")
        and imp.target not in SHARED
        and _layer(imp.target) not in allowed
    ]
    assert not wrong, f"small_git/{layer}/ may import only {sorted(allowed)}:\n" + "\n".join(wrong)


def test_click_is_imported_by_the_cli_alone() -> None:
    wrong = [
        f"{imp.module}:{imp.line}"
        for imp in IMPORTS
        if imp.target.split(".")[0] == "click" and _layer(imp.module) != "cli"
    ]
    assert not wrong, "click outside small_git/cli/: " + ", ".join(wrong)


def test_the_cli_imports_only_commands_and_click() -> None:
    wrong = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in IMPORTS
        if _layer(imp.module) == "cli"
        and imp.target.split(".")[0] not in sys.stdlib_module_names | {"click"}
        and _layer(imp.target) not in ("cli", "commands")
    ]
    assert not wrong, "\n".join(wrong)


def test_no_command_module_imports_another() -> None:
    wrong = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in IMPORTS
        if _layer(imp.module) == "commands"
        and _layer(imp.target) == "commands"
        and imp.target != imp.module
        and imp.target != "small_git.commands"
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    """Among the imports a module runs when it is imported (a deferred import inside a function is how a
    module reaches a helper that needs it back, and is allowed)."""
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for imp in IMPORTS:
        if imp.top_level and imp.target in MODULES and imp.target != imp.module:
            graph[imp.module].add(imp.target)
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for nxt in sorted(graph[node]):
            cycle = visit(nxt, path + [node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f"{_name(func.value)}.{func.attr}"
    return ""


_JSON_DUMPS = ("json.dumps", "json.dump")


def _writes_output(called: str) -> bool:
    return (
        called in ("print", "json.dump", "echo", "secho", "click.echo", "click.secho")
        or called.endswith((".write", ".writelines"))
        or called.startswith("console.")
    )


def _json_writes(tree: ast.AST) -> list[int]:
    """Lines that write a JSON document built by json.dumps: passed straight to an output call (print, a
    stream's write, click.echo, report.console), or through a name it was assigned to in the same function."""
    found = []
    scopes = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in [tree, *scopes]:
        dumped = {
            target.id
            for node in ast.walk(scope)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _name(node.value.func) in _JSON_DUMPS
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for call in _calls(scope):
            if not _writes_output(_name(call.func)):
                continue
            arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
            direct = _name(call.func) == "json.dump" or any(
                _name(inner.func) in _JSON_DUMPS for inner in _calls(call) if inner is not call
            )
            named = any(isinstance(node, ast.Name) and node.id in dumped for a in arguments for node in ast.walk(a))
            if direct or named:
                found.append(call.lineno)
    return sorted(set(found))


@pytest.mark.parametrize(
    "source",
    [
        "print(json.dumps(doc))",
        "sys.stdout.write(json.dumps(doc) + '\\n')",
        "json.dump(doc, sys.stdout)",
        "console.out(json.dumps(doc, ensure_ascii=True))",
        "click.echo(json.dumps(doc))",
        "def run():\n    text = json.dumps(doc)\n    console.out(text)",
    ],
)
def test_the_json_check_sees_a_document_written_outside_report(source: str) -> None:
    assert _json_writes(ast.parse(source)), source


def test_the_json_check_lets_json_be_built_for_other_uses() -> None:
    source = (
        "key = json.dumps(entry, sort_keys=True)\ncopy = json.loads(json.dumps(entries))\nconsole.out(str(len(copy)))"
    )
    assert _json_writes(ast.parse(source)) == []


def test_nothing_outside_report_prints_json() -> None:
    """One JSON writer, so one `ensure_ascii` choice and one document format for every command."""
    wrong = [
        f"{name}:{line} writes JSON itself"
        for name, path in MODULES.items()
        if _layer(name) != "report"
        for line in _json_writes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not wrong, "JSON is written by small_git.report.json_report only:\n" + "\n".join(wrong)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _layer(n) == "commands"))
def test_command_modules_write_through_report(name: str) -> None:
    if name.rpartition(".")[2] in PRINTING_COMMANDS:
        pytest.skip("still prints its own lines")
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    wrong = [f"line {call.lineno}: print()" for call in _calls(tree) if _name(call.func) == "print"]
    wrong += [
        f"line {node.lineno}: sys.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and _name(node) in ("sys.stdout", "sys.stderr")
    ]
    assert not wrong, f"{name} writes output itself (use small_git.report.console):\n" + "\n".join(wrong)


# Not commands: the package's shared `run_writer`, `failure` (which reports what escapes a command) and the
# names of the hooks `hook` runs.
NOT_A_COMMAND = {"small_git.commands", "small_git.commands.failure", "small_git.commands.hook_names"}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _layer(n) == "commands" and n not in NOT_A_COMMAND))
def test_each_run_takes_one_request(name: str) -> None:
    if name.rpartition(".")[2] in NO_REQUEST_YET:
        pytest.skip("not yet a request dataclass")
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    runs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and re.fullmatch(r"run(_\w+)?", n.name)]
    assert runs, f"{name} has no run()"
    for run in runs:
        arguments = run.args.args + run.args.kwonlyargs
        assert len(arguments) == 1, f"{name}.{run.name} takes {len(arguments)} arguments, not one request"
        annotation = arguments[0].annotation
        assert isinstance(annotation, ast.Name) and annotation.id.endswith("Request"), (
            f"{name}.{run.name}'s argument is not a …Request dataclass"
        )


WRITING_LAYERS = ("store", "workflow", "commands", "report", "cli")


def test_the_protocol_version_is_written_once() -> None:
    """The layers that write files and output spell the version as `small_git.PROTOCOL_VERSION`, never as a
    `"1.0.0"` literal (in templates, documents, markers or messages)."""
    wrong = []
    for name, path in MODULES.items():
        if _layer(name) not in WRITING_LAYERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
                if text == "1.0.0" or '"1.0.0"' in text or " 1.0.0\n" in text:
                    wrong.append(f"{name}:{node.lineno}")
    assert not wrong, "use small_git.PROTOCOL_VERSION: " + ", ".join(wrong)


# Import fallbacks that change speed only, never a verdict: libyaml's C parser or PyYAML's own (the same
# events); fcntl, to widen git's pipe, where the system has it.
IMPORT_FALLBACKS = {"small_git/protocol/yaml_events.py", "small_git/git/objects.py"}


def test_no_import_failure_switches_a_rule_off() -> None:
    """A broken import is an internal error (exit 3), never a rule that silently stops running."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ExceptHandler) or node.type is None:
                continue
            names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
            if names & {"ImportError", "ModuleNotFoundError"} and where not in IMPORT_FALLBACKS:
                found.append(f"{where}:{node.lineno}")
    assert not found, f"import fallbacks: {found}"
