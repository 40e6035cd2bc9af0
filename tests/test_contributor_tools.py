"""The CI workflows and the pre-commit configuration: valid, and doing what CONTRIBUTING.md says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from booktools import check_outputs

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
    assert "apt-get install" in commands and "chromium" in commands
    assert commands.index("make lint") < commands.index("make test")
    (upload,) = uses(data, "actions/upload-artifact")
    assert upload["if"] == "always()"
    kept = upload["with"]["path"].split()
    assert {"_build/html", "_build/screenshots", "_build/.jupyter_cache/executions.jsonl"} <= set(kept)


def test_main_is_published_on_pages(root: Path) -> None:
    data = workflow(root, "pages")
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["permissions"]["pages"] == "write" and data["permissions"]["id-token"] == "write"
    (pages,) = uses(data, "actions/upload-pages-artifact")
    assert pages["with"]["path"] == "_build/html"
    assert uses(data, "actions/deploy-pages")
    assert data["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    assert "make book" in run_text(data)


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
    locked = (root / "requirements.lock").read_text(encoding="utf-8")
    assert f"ruff=={ruff_rev.removeprefix('v')}\n" in locked, "the ruff hook and the locked ruff differ"
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
        [sys.executable, str(root / "booktools" / "check_outputs.py"), clean, executed],
        capture_output=True,
        text=True,
        check=False,
    )
    assert hook.returncode == 1 and hook.stdout.count("\n") == 1 and "executed.ipynb" in hook.stdout
