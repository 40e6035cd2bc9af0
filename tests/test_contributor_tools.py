"""The CI workflows and the pre-commit configuration: valid, and doing what CONTRIBUTING.md says."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from booktools.commands import check_outputs

BIN = Path(sys.executable).parent
WORKFLOWS = ("pull-request", "pages", "weekly")


def workflow(root: Path, name: str) -> dict:
    data = yaml.safe_load((root / ".github" / "workflows" / f"{name}.yml").read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(data: dict) -> list[dict]:
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def uses(data: dict, action: str) -> list[dict]:
    return [step for step in steps(data) if str(step.get("uses", "")).startswith(action + "@")]


def run_text(data: dict) -> str:
    return "\n".join(str(step.get("run", "")) for step in steps(data))


def validate(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_workflows_match_the_github_schema(root: Path) -> None:
    paths = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert {path.stem for path in paths} == set(WORKFLOWS)
    result = validate(*paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_finds_mistakes(root: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = (root / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8")
    broken.write_text(text.replace("runs-on:", "runs_on:", 1), encoding="utf-8")
    result = validate(broken)
    assert result.returncode != 0 and "runs-on" in result.stdout + result.stderr


def test_pull_requests_lint_test_and_keep_the_artifacts(root: Path) -> None:
    data = workflow(root, "pull-request")
    assert "pull_request" in data["on"]
    (python,) = uses(data, "actions/setup-python")
    # 3.11 last, so `python` is the build's 3.11; 3.12 and 3.13 for the checks of lesson_code's wheel
    assert python["with"]["python-version"].split() == ["3.12", "3.13", "3.11"] and python["with"]["cache"] == "pip"
    commands = run_text(data)
    assert commands.index("playwright install --with-deps chromium") < commands.index("make test")
    assert commands.index("make lint") < commands.index("make test")
    uploads = {step["with"]["name"].split("-$")[0]: step for step in uses(data, "actions/upload-artifact")}
    assert uploads["book"]["if"] == "always()"
    kept = uploads["book"]["with"]["path"].split()
    assert {"_build/html", "_build/screenshots", "_build/.jupyter_cache/executions.jsonl"} <= set(kept)


def test_pull_requests_show_what_they_do_to_the_book(root: Path) -> None:
    data = workflow(root, "pull-request")
    (checkout,) = uses(data, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0  # the target branch's history, for the base's work tree
    (diff,) = [step for step in steps(data) if "make diff" in str(step.get("run", ""))]
    assert diff["env"]["BASE"] == "origin/${{ github.base_ref }}" and "${{" not in diff["run"]
    commands = run_text(data)
    assert commands.index("make test") < commands.index("make diff")
    assert 'cat _build/diff/summary.md >> "$GITHUB_STEP_SUMMARY"' in commands
    uploads = {step["with"]["name"].split("-$")[0]: step for step in uses(data, "actions/upload-artifact")}
    assert "_build/diff/report.html" in uploads["book-diff"]["with"]["path"].split()


def test_main_is_published_on_pages(root: Path) -> None:
    data = workflow(root, "pages")
    assert data["on"]["push"]["branches"] == ["main"]
    deploy = data["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    (pages,) = uses(data, "actions/upload-pages-artifact")
    assert pages["with"]["path"] == "_build/html"
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    assert deploy["environment"]["name"] == "github-pages" and deploy["needs"] == "build"
    assert "make book" in run_text(data)


# -- the workflows' security: least privilege, no stored token, pinned actions --------------------


def test_every_workflow_reads_only_unless_a_job_says_otherwise(root: Path) -> None:
    writers = {}
    for name in WORKFLOWS:
        data = workflow(root, name)
        assert data["permissions"] == {"contents": "read"}, f"{name}.yml: the top-level permissions must be read-only"
        for job_name, job in data["jobs"].items():
            scopes = {scope for scope, level in job.get("permissions", {}).items() if level == "write"}
            if scopes:
                writers[f"{name}/{job_name}"] = scopes
    assert writers == {"pages/notebooks": {"contents"}, "pages/deploy": {"pages", "id-token"}}


def test_the_jobs_that_write_run_none_of_the_repository(root: Path) -> None:
    """The jobs with write scopes check nothing out and build nothing: they publish the build job's artifacts."""
    jobs = workflow(root, "pages")["jobs"]
    assert "permissions" not in jobs["build"]  # the job that runs the chapters' code holds a read token
    for name in ("notebooks", "deploy"):
        actions = [step["uses"].split("@")[0] for step in jobs[name]["steps"] if "uses" in step]
        assert "actions/checkout" not in actions and jobs[name]["needs"] == "build"
        assert "make" not in "\n".join(str(step.get("run", "")) for step in jobs[name]["steps"])
    (download,) = [step for step in jobs["notebooks"]["steps"] if "uses" in step]
    assert download["uses"].startswith("actions/download-artifact@") and download["with"]["name"] == "notebooks"
    (upload,) = [step for step in jobs["build"]["steps"] if step.get("with", {}).get("name") == "notebooks"]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert "git push" in jobs["notebooks"]["steps"][-1]["run"] and "git push" not in run_text(
        {"jobs": {"b": jobs["build"]}}
    )


def test_every_checkout_leaves_no_token_behind(root: Path) -> None:
    checkouts = [step for name in WORKFLOWS for step in uses(workflow(root, name), "actions/checkout")]
    # pull request, pages' build; weekly's rebuild, macOS, Linux 3.12/3.13, torch wheels and reader run
    assert len(checkouts) == 7
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False


CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def test_every_step_that_runs_make_gets_the_cpu_index(root: Path) -> None:
    """pip takes the Linux torch (X+cpu) from PyTorch's CPU index, given through the environment only."""
    for name in WORKFLOWS:
        data = workflow(root, name)
        for job_name, job in data["jobs"].items():
            for step in job.get("steps", []):
                if re.search(r"(^|\s)make\s", str(step.get("run", ""))):
                    env = {**data.get("env", {}), **job.get("env", {}), **step.get("env", {})}
                    assert env.get("PIP_EXTRA_INDEX_URL") == CPU_INDEX, f"{name}.yml, {job_name}: {step.get('name')}"


def test_no_step_installs_ubuntus_chromium(root: Path) -> None:
    for name in WORKFLOWS:
        for step in steps(workflow(root, name)):
            run = str(step.get("run", ""))
            assert not ("apt-get install" in run and "chromium" in run), f"{name}.yml: {step.get('name')}"
            if "chromium" in run:
                assert "playwright install" in run


def test_the_weekly_workflow_covers_the_other_targets(root: Path) -> None:
    jobs = workflow(root, "weekly")["jobs"]
    macos = [job for job in jobs.values() if str(job["runs-on"]).startswith("macos-")]
    assert len(macos) == 1 and macos[0]["runs-on"] in {"macos-14", "macos-15", "macos-latest"}  # Apple silicon
    assert "make test" in run_text({"jobs": {"m": macos[0]}})
    linux = [
        job for job in jobs.values() if job.get("strategy", {}).get("matrix", {}).get("python") == ["3.12", "3.13"]
    ]
    assert any("make book" in run_text({"jobs": {"l": job}}) for job in linux)
    assert "booktools.commands.torch_wheels" in run_text({"jobs": jobs})


def test_the_torch_wheel_check_downloads_each_wheel_with_its_digest(root: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "booktools.commands.torch_wheels", "--index-url", "https://index.invalid/simple",
         "--dest", str(tmp_path), "--dry-run"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if " pip download " in line]
    table = tomllib.loads((root / "booktools" / "lock" / "torch-cpu-wheels.toml").read_text(encoding="utf-8"))["wheel"]
    assert len(commands) == len(table) >= 3
    for command, wheel in zip(commands, table, strict=True):
        assert "--require-hashes" in command and "--no-deps" in command
        assert f"--python-version {wheel['python']}" in command and "--platform manylinux_2_28_x86_64" in command
        requirement = (tmp_path / f"{wheel['file']}.txt").read_text()
        assert requirement.strip() == f"torch=={wheel['version']} --hash=sha256:{wheel['sha256']}"


PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+$")


def test_every_action_is_pinned_to_a_commit_with_its_version(root: Path) -> None:
    for name in WORKFLOWS:
        lines = (root / ".github" / "workflows" / f"{name}.yml").read_text(encoding="utf-8").splitlines()
        used = [line for line in lines if re.match(r"^\s*(-\s+)?uses:", line)]
        assert used, name
        for line in used:
            assert PINNED.match(line), f"{name}.yml: {line.strip()!r} is not `owner/action@<40-hex SHA> # vX.Y.Z`"
    shas = {}
    for name in WORKFLOWS:
        text = (root / ".github" / "workflows" / f"{name}.yml").read_text(encoding="utf-8")
        for action, sha in re.findall(r"uses:\s+([\w.-]+/[\w.-]+)@([0-9a-f]{40})", text):
            shas.setdefault(action, set()).add(sha)
    assert all(len(pins) == 1 for pins in shas.values()), f"one action pinned to two commits: {shas}"


def zizmor(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(BIN / "zizmor"),
            "--offline",
            "--no-progress",
            "--format",
            "plain",
            "--min-severity",
            "medium",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_zizmor_finds_nothing_of_medium_severity_or_above(root: Path) -> None:
    result = zizmor(root / ".github" / "workflows")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "old", "new", "audit"),
    [
        (
            "pull-request",
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
            "actions/checkout@v4",
            "unpinned-uses",
        ),
        ("pull-request", "          persist-credentials: false\n", "", "artipacked"),
        ("pages", "permissions:\n  contents: read\n", "permissions: write-all\n", "excessive-permissions"),
    ],
)
def test_zizmor_finds_what_it_should(root: Path, tmp_path: Path, name: str, old: str, new: str, audit: str) -> None:
    folder = tmp_path / ".github" / "workflows"
    shutil.copytree(root / ".github" / "workflows", folder)
    text = (folder / f"{name}.yml").read_text(encoding="utf-8")
    assert old in text
    (folder / f"{name}.yml").write_text(text.replace(old, new, 1), encoding="utf-8")
    result = zizmor(folder)
    assert result.returncode != 0 and audit in result.stdout + result.stderr


def test_dependabot_keeps_the_actions_and_the_python_packages_fresh(root: Path) -> None:
    path = root / ".github" / "dependabot.yml"
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    updates = yaml.safe_load(path.read_text(encoding="utf-8"))["updates"]
    assert {update["package-ecosystem"] for update in updates} == {"github-actions", "pip"}
    assert all(update["directory"] == "/" for update in updates)


# -- the lock: every pin hashed, the build backend pinned, installed with --require-hashes ---------


def lock_pins(root: Path) -> dict[str, list[str]]:
    """``{"name==version": [hashes]}`` from requirements.lock."""
    text = (root / "requirements.lock").read_text(encoding="utf-8")
    pins: dict[str, list[str]] = {}
    for entry in re.split(r"\n(?=\S)", text):
        first = entry.split("\n", 1)[0]
        if first.startswith("#") or not first.strip():
            continue
        pin = first.split()[0]
        assert re.fullmatch(r"[a-z0-9._-]+==[\w.+!-]+", pin), f"requirements.lock: {first!r} is not an exact pin"
        pins[pin] = re.findall(r"--hash=sha256:([0-9a-f]{64})", entry)
    return pins


def test_every_pin_of_the_lock_has_a_hash(root: Path) -> None:
    pins = lock_pins(root)
    assert len(pins) > 100
    assert [pin for pin, hashes in pins.items() if not hashes] == []
    names = {pin.split("==")[0] for pin in pins}
    assert {"setuptools", "zizmor", "pytest", "sphinx", "torch"} <= names  # the build backend and the tools too


def test_the_lock_is_installed_with_hashes_and_the_project_without_fetching(root: Path) -> None:
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    (install,) = [line for line in makefile.splitlines() if "-r requirements.lock" in line]
    assert "--require-hashes" in install
    (editable,) = [line for line in makefile.splitlines() if "pip install" in line and " -e ." in line]
    assert {"--no-build-isolation", "--no-deps", "--no-index"} <= set(editable.split())
    assert "--generate-hashes" in (root / "booktools" / "commands" / "lock.py").read_text(encoding="utf-8")


def test_make_lint_runs_zizmor(root: Path) -> None:
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "zizmor --offline" in lint and ".github/workflows" in lint


def test_a_weekly_clean_rebuild_with_the_newest_versions(root: Path) -> None:
    data = workflow(root, "weekly")
    assert data["on"]["schedule"][0]["cron"].split()[4] in {"0", "1", "2", "3", "4", "5", "6"}  # once a week
    commands = run_text(data)
    assert commands.index("make lock") < commands.index("make clean") < commands.index("make test")


def test_the_workflows_run_make_targets_that_exist(root: Path) -> None:
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    for name in WORKFLOWS:
        for target in {
            word
            for line in run_text(workflow(root, name)).splitlines()
            for word in line.split()[1:2]
            if line.split()[:1] == ["make"]
        }:
            assert f"\n{target}:" in makefile, f"{name}.yml runs `make {target}`, which the Makefile lacks"


# -- pre-commit ----------------------------------------------------------------------------------


def test_pre_commit_has_the_expected_hooks(root: Path) -> None:
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: (repo["repo"], hook) for repo in config["repos"] for hook in repo["hooks"]}
    assert {
        "ruff",
        "ruff-format",
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "check-added-large-files",
        "no-executed-outputs",
    } <= hooks.keys()
    ruff_rev = next(repo["rev"] for repo in config["repos"] if repo["repo"].endswith("ruff-pre-commit"))
    assert f"ruff=={ruff_rev.removeprefix('v')}" in lock_pins(root), "the ruff hook and the locked ruff differ"
    repo, local = hooks["no-executed-outputs"]
    assert repo == "local"
    script = local["entry"].split()[-1]
    assert (root / script).is_file()


def test_the_hook_refuses_outputs(root: Path, tmp_path: Path) -> None:
    def notebook(name: str, outputs: list, count: int | None) -> str:
        path = tmp_path / name
        cell = {
            "cell_type": "code",
            "source": "1 + 1",
            "metadata": {},
            "outputs": outputs,
            "execution_count": count,
        }
        path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        return str(path)

    clean = notebook("clean.ipynb", [], None)
    executed = notebook(
        "executed.ipynb",
        [
            {
                "output_type": "execute_result",
                "data": {"text/plain": "2"},
                "metadata": {},
                "execution_count": 1,
            }
        ],
        1,
    )
    assert check_outputs.problem(clean) is None
    assert "cell 0 holds executed outputs" in check_outputs.problem(executed)
    assert "build output" in check_outputs.problem("_build/html/index.html")
    assert check_outputs.problem("book/regression.md") is None
    hook = subprocess.run(
        [sys.executable, str(root / "booktools" / "commands" / "check_outputs.py"), clean, executed],
        capture_output=True,
        text=True,
        check=False,
    )
    assert hook.returncode == 1 and hook.stdout.count("\n") == 1 and "executed.ipynb" in hook.stdout


def test_the_code_is_formatted_as_pre_commit_formats_it(root: Path) -> None:
    """`make lint` and pre-commit's ruff-format hook agree: no file would be reformatted by a contributor's commit."""
    result = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "lesson_code", "booktools", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run `ruff format lesson_code booktools tests`:\n{result.stdout}{result.stderr}"


def test_every_command_quoted_to_contributors_exists(root: Path) -> None:
    """Each ``python -m booktools...`` quoted in CONTRIBUTING.md, README.md or the Makefile names a module that runs."""
    quoted = set()
    for name in ("CONTRIBUTING.md", "README.md", "Makefile"):
        text = (root / name).read_text(encoding="utf-8")
        quoted |= set(re.findall(r"python -m (booktools(?:\.\w+)+)(?![.\w<])", text))
    assert "booktools.commands.lint" in quoted, quoted  # make lint's chapter checks
    for module in sorted(quoted):
        path = root.joinpath(*module.split(".")).with_suffix(".py")
        assert path.is_file(), f"{module} is quoted as a command, but there is no {path.relative_to(root)}"
        assert 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"), f"{module} has no command line"


def test_make_stress_keeps_cores_busy_while_the_tests_run_and_stops_them_after() -> None:
    import time

    from booktools.commands.stress import busy_processes

    def cpu_ticks(pid: int) -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime and stime, in clock ticks

    with busy_processes(2) as busy:
        assert len(busy) == 2 and all(process.poll() is None for process in busy)
        if Path("/proc/self/stat").is_file():
            deadline = time.monotonic() + 120  # a wait that ends as soon as both have computed for a while
            while not all(cpu_ticks(process.pid) > 20 for process in busy):  # 0.2 s: ten times Python's start-up
                assert time.monotonic() < deadline, "the busy processes never ran"
                time.sleep(0.05)
    assert all(process.poll() is not None for process in busy), "a busy process outlived make stress"
