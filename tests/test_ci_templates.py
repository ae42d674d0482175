"""CI where there are no server hooks: the composite GitHub Action (action.yml) and the GitLab CI template, run
as the shell they are. The Action's steps are read from action.yml and run the way a runner runs them (bash
-eo pipefail, the step's env with its ${{ }} expressions filled in from the event, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, GITHUB_PATH and GITHUB_ENV files), in a shallow clone as actions/checkout makes it, of a
bare repository with no hooks (github.com); the GitLab template's script lines the way its runner does."""

from __future__ import annotations

import json
import os
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import cli
from support.env import HUMAN
from support.paths import PROJECT
from support.repo import Repo, ssh_keys
from support.servers import INTENT, agent_commit, append, intent_text, rewrite_entry, seeded_server

REPO_ROOT = PROJECT
ZERO = "0" * 40
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Forge:
    """A bare repository without hooks (what github.com and gitlab.com run) and a client pushing to it."""

    bare: Path
    client: Repo
    tmp: Path
    clones: int = 0

    def checkout(self, sha: str, depth: int | None = 1) -> Path:
        """What actions/checkout (or GitLab's runner) makes: a clone of the remote at `sha`."""
        self.clones += 1
        work = self.tmp / f"checkout-{self.clones}"
        depth_args = [f"--depth={depth}"] if depth else []
        self.client.run("git", "init", "-q", str(work))
        git = ["git", "-C", str(work)]
        self.client.run(*git, "remote", "add", "origin", f"file://{self.bare}")
        self.client.run(*git, "fetch", "-q", "--no-tags", *depth_args, "origin", f"+{sha}:refs/remotes/origin/ci")
        self.client.run(*git, "checkout", "-q", "--detach", sha)
        return work


@pytest.fixture
def forge(tmp_path: Path) -> Forge:
    server, client = seeded_server(tmp_path, install=False)
    # GitHub serves any commit by id, also one a force push left on no branch
    server.git("config", "uploadpack.allowAnySHA1InWant", "true")
    return Forge(server.path, client, tmp_path)


# --- the GitHub Action, step by step --------------------------------------------------------------------------


@dataclass
class ActionRun:
    code: int  # the exit code of the last step that ran (the first that failed, or the last one)
    stdout: str
    summary: str
    outputs: dict[str, str]
    path_added: list[str]
    steps_run: list[str] = field(default_factory=list)


def _lookup(context: dict[str, Any], dotted: str) -> str:
    value: Any = context
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def evaluate(text: str, context: dict[str, Any]) -> str:
    """The ${{ }} expressions action.yml uses: context paths, `a || b`, and `x == 'literal'`."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if "==" in expression:
            left, _, right = expression.partition("==")
            return "true" if _lookup(context, left.strip()) == right.strip().strip("'") else "false"
        for alternative in expression.split("||"):
            value = _lookup(context, alternative.strip())
            if value:
                return value
        return ""

    return EXPRESSION.sub(one, text)


def run_action(
    workdir: Path,
    event_name: str,
    event: dict[str, Any],
    ref: str,
    inputs: dict[str, str] | None = None,
    only: tuple[str, ...] = (),
) -> ActionRun:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    runner = workdir.parent / f"runner-{workdir.name}"
    runner.mkdir()
    files = {
        name: runner / name.lower() for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_PATH", "GITHUB_ENV")
    }
    for path in files.values():
        path.write_text("")
    event_path = runner / "event.json"
    event_path.write_text(json.dumps(event))
    github = {"event": event, "ref": ref, "event_name": event_name, "action_path": str(REPO_ROOT)}
    context: dict[str, Any] = {"github": github}
    context["inputs"] = {
        name: evaluate(str(spec.get("default", "")), context) for name, spec in action["inputs"].items()
    }
    context["inputs"].update(inputs or {})
    base = dict(os.environ)
    base.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REF": ref,
            "GITHUB_ACTION_PATH": str(REPO_ROOT),
            "RUNNER_TEMP": str(runner),
            **{name: str(path) for name, path in files.items()},
        }
    )
    stdout, code = "", 0
    ran: list[str] = []
    for step in action["runs"]["steps"]:
        if only and step["name"] not in only:
            continue
        if "if" in step and evaluate("${{ " + step["if"] + " }}", context) != "true":
            continue
        env = dict(base)
        for line in files["GITHUB_ENV"].read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                env[key] = value
        added = files["GITHUB_PATH"].read_text().split()
        env["PATH"] = os.pathsep.join([*reversed(added), base["PATH"]])
        env.update({key: evaluate(str(value), context) for key, value in (step.get("env") or {}).items()})
        script = runner / f"step-{len(ran)}.sh"
        script.write_text(evaluate(step["run"], context))
        assert step["shell"] == "bash"
        proc = cli.run(workdir, "bash", "--noprofile", "--norc", "-eo", "pipefail", script, env=env)
        stdout += proc.stdout + proc.stderr
        code = proc.returncode
        ran.append(step["name"])
        if code != 0:
            break
    outputs = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines() if "=" in line)
    return ActionRun(
        code, stdout, files["GITHUB_STEP_SUMMARY"].read_text(), outputs, files["GITHUB_PATH"].read_text().split(), ran
    )


AUDIT_STEPS = ("Fetch the history the audit needs", "Audit the ref update")


def push_event(before: str, after: str, forced: bool = False) -> dict[str, Any]:
    return {"before": before, "after": after, "forced": forced, "ref": "refs/heads/main"}


def github_push(forge: Forge, before: str, after: str, forced: bool = False) -> ActionRun:
    workdir = forge.checkout(after) if after != ZERO else forge.checkout(before)
    return run_action(
        workdir,
        "push",
        push_event(before, after, forced),
        "refs/heads/main",
        inputs={"install": "false"},
        only=AUDIT_STEPS,
    )


def test_a_push_of_appends_passes_with_a_summary(forge: Forge) -> None:
    before = forge.client.head()
    append(forge.client, 2)
    after = append(forge.client, 3)
    forge.client.git("push", "-q", "origin", "main")
    run = github_push(forge, before, after)
    assert run.code == 0, run.stdout
    assert run.outputs["exit-code"] == "0" and run.outputs["findings"] == "0"
    assert run.summary.startswith("### small-git audit: passed") and "2 commits judged" in run.summary
    assert "::error" not in run.stdout


def test_a_rewrite_fails_the_job_with_an_annotation_at_the_line(forge: Forge) -> None:
    before = forge.client.head()
    rewrite_entry(forge.client)
    forge.client.git("push", "-q", "origin", "main")
    run = github_push(forge, before, forge.client.head())
    assert run.code == 1 and run.outputs["exit-code"] == "1"
    annotation = next(line for line in run.stdout.splitlines() if line.startswith("::error "))
    assert re.match(
        r"::error file=\.small/progress\.small\.yml,line=\d+,title=small-git audit%3A progress-rewrite::", annotation
    ), annotation
    assert "%0Afix: " in annotation  # one annotation carries the fix on its second line
    assert "### small-git audit: failed" in run.summary and "| progress-rewrite |" in run.summary


def test_a_force_push_fetches_the_old_tip_and_fails_when_entries_are_lost(forge: Forge) -> None:
    seed = forge.client.head()
    before = append(forge.client, 2)
    forge.client.git("push", "-q", "origin", "main")
    forge.client.git("reset", "-q", "--hard", seed)
    after = append(forge.client, 3, evidence="a different history")
    forge.client.git("push", "-q", "--force", "origin", "main")  # `before` is on no branch now
    run = github_push(forge, before, after, forced=True)
    assert run.code == 1, run.stdout
    assert "progress-force-push-lost-entry" in run.stdout and "not a fast-forward" in run.summary


def test_an_old_tip_that_cannot_be_fetched_never_passes(forge: Forge) -> None:
    after = append(forge.client, 2)
    forge.client.git("push", "-q", "origin", "main")
    run = github_push(forge, "1234567" * 5 + "12345", after)
    assert run.code == 2, run.stdout
    assert "could not fetch" in run.stdout and "::error" in run.stdout
    assert "could not judge" in run.summary


def test_a_new_branch_is_judged_over_its_whole_history(forge: Forge) -> None:
    rewrite_entry(forge.client)  # the seed commit's entry, rewritten by the branch's second commit
    forge.client.git("push", "-q", "origin", "main:refs/heads/topic")
    run = github_push(forge, ZERO, forge.client.head())
    assert run.code == 1 and "progress-rewrite" in run.stdout


def test_a_deleted_branch_has_nothing_to_judge(forge: Forge) -> None:
    run = github_push(forge, forge.client.head(), ZERO)
    assert run.code == 0 and "nothing to judge" in run.stdout and run.outputs["exit-code"] == "0"


def test_a_pull_request_is_judged_from_where_it_left_its_base(forge: Forge) -> None:
    base = forge.client.head()
    forge.client.git("checkout", "-q", "-b", "feature")
    rewrite_entry(forge.client)
    head = forge.client.head()
    forge.client.git("push", "-q", "origin", "feature")
    event = {"pull_request": {"base": {"sha": base, "ref": "main"}, "head": {"sha": head, "ref": "feature"}}}
    workdir = forge.checkout(head)
    run = run_action(workdir, "pull_request", event, "refs/pull/1/merge", {"install": "false"}, AUDIT_STEPS)
    assert run.code == 1, run.stdout
    assert "progress-rewrite" in run.stdout and "refs/heads/feature" in run.summary


@pytest.mark.slow  # and the first to ask for the wheel, so that one worker builds it early
def test_the_install_step_puts_a_fresh_small_git_on_path(forge: Forge, wheel: Path) -> None:
    """The step as it runs, installing a wheel of this source without its dependencies (no index here);
    a runner installs the action's own copy with them."""
    assert "small_git/hooks/pre-receive.sh" in zipfile.ZipFile(wheel).namelist()
    workdir = forge.checkout(forge.client.head())
    run = run_action(
        workdir,
        "push",
        push_event(ZERO, forge.client.head()),
        "refs/heads/main",
        {"python": sys.executable, "source": str(wheel), "pip-args": "--no-deps --no-index"},
        only=("Install small-git",),
    )
    assert run.code == 0, run.stdout
    (added,) = run.path_added
    assert (Path(added) / "git-small").is_file() and (Path(added) / "python").exists()


def test_the_action_declares_what_its_steps_read() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        script = re.search(r'"\$GITHUB_ACTION_PATH/(ci/github/[a-z]+\.sh)"', step["run"])
        assert script and (REPO_ROOT / script.group(1)).is_file(), step["name"]
        for name in re.findall(r"inputs\.([a-z-]+)", json.dumps(step)):
            assert name in action["inputs"], name


# --- the GitLab CI template ------------------------------------------------------------------------------------


def run_gitlab(workdir: Path, variables: dict[str, str]) -> tuple[cli.Result, Path]:
    """The template's script lines in one shell, as GitLab's runner joins them (bash, stop at the first
    failure); small-git is already installed (the before_script's pip install needs an index)."""
    job = yaml.safe_load((REPO_ROOT / "ci/gitlab/small-git.gitlab-ci.yml").read_text())["small-git-audit"]
    script = workdir.parent / f"gitlab-{workdir.name}.sh"
    script.write_text("\n".join(job["script"]) + "\n")
    env = {**{k: str(v) for k, v in job["variables"].items()}, **variables}  # the installed CLI is first on PATH
    proc = cli.run(workdir, "bash", "--noprofile", "--norc", "-eo", "pipefail", script, env=env)
    return proc, workdir / "gl-code-quality-report.json"


def test_gitlab_push_pipeline_reports_code_quality_and_fails(forge: Forge) -> None:
    before = forge.client.head()
    rewrite_entry(forge.client)
    after = forge.client.head()
    forge.client.git("push", "-q", "origin", "main")
    workdir = forge.checkout(after, depth=None)
    variables = {"CI_COMMIT_BEFORE_SHA": before, "CI_COMMIT_SHA": after, "CI_COMMIT_REF_NAME": "main"}
    proc, report = run_gitlab(workdir, variables)
    assert proc.returncode == 1 and report.is_file(), proc.stdout + proc.stderr
    (issue,) = [i for i in json.loads(report.read_text()) if i["check_name"] == "progress-rewrite"]
    assert issue["location"]["path"] == ".small/progress.small.yml" and issue["severity"] == "blocker"
    assert issue["location"]["lines"]["begin"] > 1


def test_gitlab_pipeline_of_appends_passes(forge: Forge) -> None:
    before = forge.client.head()
    after = append(forge.client, 2)
    forge.client.git("push", "-q", "origin", "main")
    workdir = forge.checkout(after, depth=None)
    variables = {"CI_COMMIT_BEFORE_SHA": before, "CI_COMMIT_SHA": after, "CI_COMMIT_REF_NAME": "main"}
    proc, report = run_gitlab(workdir, variables)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(report.read_text()) == []


def test_gitlab_template_refuses_to_guess_what_to_install() -> None:
    job = yaml.safe_load((REPO_ROOT / "ci/gitlab/small-git.gitlab-ci.yml").read_text())["small-git-audit"]
    proc = cli.run(REPO_ROOT, "bash", "-eo", "pipefail", "-c", job["before_script"][0], env={"SMALL_GIT_PIP_SPEC": ""})
    assert proc.returncode == 2 and "SMALL_GIT_PIP_SPEC" in proc.stdout


def test_an_agent_change_to_the_intent_fails_at_identity_level(forge: Forge) -> None:
    before = forge.client.head()
    forge.client.write(INTENT, intent_text("Ship whatever the agent likes"))
    agent_commit(forge.client, "widen the intent")
    forge.client.git("push", "-q", "origin", "main")
    run = github_push(forge, before, forge.client.head())
    assert run.code == 1 and "human-file-agent-change" in run.stdout


def test_the_signed_level_takes_its_allowed_signers_from_the_workflow(forge: Forge, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    ssh_keys(keys, "human", "agent")
    allowed = f"{HUMAN.email} {(keys / 'human.pub').read_text().strip()}"
    before = forge.client.head()
    forge.client.write("allowed_signers", f"{HUMAN.email} {(keys / 'agent.pub').read_text()}")  # ignored
    forge.client.write(INTENT, intent_text("Signed by a key the workflow does not allow"))
    forge.client.git("add", "-A")
    sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={keys / 'agent'}"]
    forge.client.git(*sign, "commit", "-q", "-S", "-m", "intent, signed by the agent's key")
    forge.client.git("push", "-q", "origin", "main")
    inputs = {"install": "false", "human-level": "signed", "allowed-signers": allowed}
    event = push_event(before, forge.client.head())
    workdir = forge.checkout(forge.client.head())
    run = run_action(workdir, "push", event, "refs/heads/main", inputs, AUDIT_STEPS)
    assert run.code == 1 and "human-file-unsigned" in run.stdout

    forge.client.git("reset", "-q", "--hard", before)
    forge.client.write(INTENT, intent_text("Signed by the human"))
    forge.client.git("add", "-A")
    sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={keys / 'human'}"]
    forge.client.git(*sign, "commit", "-q", "-S", "-m", "intent, signed by the human")
    forge.client.git("push", "-q", "--force", "origin", "main")
    event = push_event(before, forge.client.head())
    workdir = forge.checkout(forge.client.head())
    run = run_action(workdir, "push", event, "refs/heads/main", inputs, AUDIT_STEPS)
    assert run.code == 0, run.stdout
