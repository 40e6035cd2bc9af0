"""Installing the book where its users are: one lock for every supported target, the platform check,
and the Chromium that the browser tests and ``make pdf`` find.

The lock is read here with a parser of the test's own, not :mod:`booktools.core.lockfile`'s, so that
a mistake in the code that writes it is not repeated by the code that checks it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from booktools.commands import supported
from booktools.core import chromium, lockfile

BIN = Path(sys.executable).parent
CPU_TABLE = Path(lockfile.__file__).resolve().parents[1] / "lock" / "torch-cpu-wheels.toml"
GPU = re.compile(r"nvidia-.*|cuda-.*|triton|pytorch-triton")
TARGETS = [
    (platform, python)
    for platform in ("x86_64-manylinux_2_28", "aarch64-apple-darwin")
    for python in ("3.11", "3.12", "3.13")
]
# What the CPU wheel of torch 2.13.0 requires (its METADATA's Requires-Dist, without extras): the
# stand-in wheels of the dry runs declare the same, so that uv resolves what the real ones need.
TORCH_CPU_REQUIRES = [
    "filelock",
    "typing-extensions>=4.10.0",
    "setuptools>=77.0.3",
    "sympy>=1.13.3",
    "networkx>=2.5.1",
    "jinja2",
    "fsspec>=0.8.5",
]


def lock_entries(text: str) -> list[tuple[str, str, str, list[str]]]:
    """``(name, version, marker, hashes)`` of each requirement of a lock, read independently of booktools."""
    entries = []
    for block in re.split(r"\n(?=[^\s#])", text):
        head = block.split("\n", 1)[0]
        if head.startswith("#") or not head.strip():
            continue
        found = re.match(r"([A-Za-z0-9._-]+)==(\S+?)(?:\s*;\s*(.*?))?\s*\\?$", head)
        assert found, f"requirements.lock: {head!r} is not an exact pin"
        name, version, marker = found.groups()
        entries.append((name.lower(), version, marker or "", re.findall(r"--hash=sha256:([0-9a-f]{64})", block)))
    return entries


@pytest.fixture(scope="module")
def lock(root: Path) -> list[tuple[str, str, str, list[str]]]:
    return lock_entries((root / "requirements.lock").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def table() -> list[dict]:
    return tomllib.loads(CPU_TABLE.read_text(encoding="utf-8"))["wheel"]


# -- the lock, parsed ------------------------------------------------------------------------------


def test_every_requirement_is_hashed(lock) -> None:
    assert len(lock) > 100
    assert [name for name, _, _, hashes in lock if not hashes] == []


def test_torch_has_two_lines_with_the_tables_digests(lock, table) -> None:
    torches = [(version, marker, sorted(hashes)) for name, version, marker, hashes in lock if name == "torch"]
    assert [(version, marker) for version, marker, _ in torches] == [
        ("2.13.0+cpu", "sys_platform == 'linux'"),
        ("2.13.0", "sys_platform == 'darwin'"),
    ]
    linux_table = sorted(wheel["sha256"] for wheel in table if wheel["version"] == "2.13.0+cpu")
    assert {wheel["python"] for wheel in table if wheel["version"] == "2.13.0+cpu"} == {"3.11", "3.12", "3.13"}
    assert torches[0][2] == linux_table
    # macOS: PyPI's wheels, which are not the Linux CPU build's files
    assert torches[1][2] and not set(torches[1][2]) & set(linux_table)


@pytest.mark.lock
def test_the_cpu_wheel_on_this_machines_disk_is_locked(lock) -> None:
    folders = [Path(part) for part in os.environ.get("PIP_FIND_LINKS", "").split()]
    config = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    folders += [Path(found) for found in re.findall(r"find-links='([^']+)'", config)]
    wheels = [wheel for folder in folders if folder.is_dir() for wheel in folder.glob("torch-*+cpu-cp3*-*.whl")]
    if not wheels:
        pytest.skip("no CPU wheel of torch in pip's local wheel folders on this machine")
    locked = {digest for name, _, _, hashes in lock if name == "torch" for digest in hashes}
    for wheel in wheels:
        if "-2.13.0+cpu-" in wheel.name:
            assert hashlib.sha256(wheel.read_bytes()).hexdigest() in locked, wheel


def test_no_gpu_packages_and_one_version_per_package(lock) -> None:
    assert [name for name, *_ in lock if GPU.fullmatch(name)] == []
    versions: dict[str, set[str]] = {}
    for name, version, _, _ in lock:
        if name != "torch":
            versions.setdefault(name, set()).add(version)
    assert {name: pins for name, pins in versions.items() if len(pins) > 1} == {}


def test_the_header_names_no_index_but_pypi_files(root: Path) -> None:
    text = (root / "requirements.lock").read_text(encoding="utf-8") + (root / "Makefile").read_text(encoding="utf-8")
    assert "download.pytorch.org" not in text
    assert "--index-url" not in text and "--extra-index-url" not in text and "--find-links" not in text


# -- resolution for every target, as a dry run -------------------------------------------------------


def stand_in_wheels(folder: Path, version: str) -> Path:
    """Empty wheels named as the CPU index's torch files, declaring what the real ones require."""
    folder.mkdir(parents=True, exist_ok=True)
    for python in lockfile.PYTHONS:
        tag = "cp" + python.replace(".", "")
        name = f"torch-{version}-{tag}-{tag}-manylinux_2_28_x86_64.whl"
        info = f"torch-{version}.dist-info"
        with zipfile.ZipFile(folder / name, "w") as wheel:
            requires = "".join(f"Requires-Dist: {need}\n" for need in TORCH_CPU_REQUIRES)
            wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n{requires}")
            wheel.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}-{tag}-any\n")
            wheel.writestr(f"{info}/RECORD", "")
    return folder


@pytest.mark.lock
@pytest.mark.parametrize(("platform", "python"), TARGETS, ids=[f"{p}-{v}" for p, v in TARGETS])
def test_the_lock_resolves_for_every_target(root: Path, tmp_path: Path, platform: str, python: str) -> None:
    """uv installs the lock's pins for the target from PyPI (torch's CPU build stood in), and needs nothing else.

    A dry run checks versions, markers and wheels, not digests: the parsed lock above checks those.
    """
    wheels = stand_in_wheels(tmp_path / "wheels", "2.13.0+cpu")
    result = subprocess.run(
        [str(BIN / "uv"), "pip", "install", "--dry-run", "--no-config", "--strict", "--target", str(tmp_path / "t"),
         "--python", sys.executable, "--python-platform", platform, "--python-version", python,
         "--find-links", str(wheels), "--index-strategy", "unsafe-best-match", "--no-build",
         "-r", str(root / "requirements.lock")],
        capture_output=True, text=True, check=False,
        # macOS 14, the oldest whose torch wheels PyPI has
        env={**os.environ, "UV_CACHE_DIR": str(root / "_build" / "uv-cache"), "MACOSX_DEPLOYMENT_TARGET": "14.0"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    installed = dict(re.findall(r"^ \+ ([A-Za-z0-9._-]+)==(\S+)$", result.stderr, flags=re.M))
    applies = {name: version for name, version, marker, _ in lock_entries((root / "requirements.lock").read_text())}
    assert installed, result.stderr[-2000:]
    extra = {name: version for name, version in installed.items() if lockfile.normalise(name) not in applies}
    assert extra == {}, f"the lock misses what these need on {platform} {python}"
    torch = "2.13.0+cpu" if "linux" in platform else "2.13.0"
    assert installed.get("torch") == torch
    assert not [name for name in installed if GPU.fullmatch(name)]


# -- make lock -----------------------------------------------------------------------------------


def run_lock(root: Path, tmp_path: Path, pyproject: str | None = None) -> subprocess.CompletedProcess:
    shutil.copyfile(root / "requirements.lock", tmp_path / "requirements.lock")
    (tmp_path / "pyproject.toml").write_text(pyproject or (root / "pyproject.toml").read_text(), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "booktools.commands.lock", "--uv", str(BIN / "uv"), "--root", str(tmp_path)],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.lock
def test_make_lock_changes_nothing_when_run_again(root: Path, tmp_path: Path) -> None:
    """The committed lock is what ``make lock`` makes from pyproject.toml, so running it again changes nothing."""
    result = run_lock(root, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unchanged" in result.stdout
    assert (tmp_path / "requirements.lock").read_text() == (root / "requirements.lock").read_text()


@pytest.mark.lock
def test_make_lock_refuses_a_torch_the_table_lacks(root: Path, tmp_path: Path) -> None:
    pyproject = (root / "pyproject.toml").read_text().replace('torch = "2.13.0"', 'torch = "2.99.0"')
    result = run_lock(root, tmp_path, pyproject)
    assert result.returncode == 1
    assert (
        "torch 2.99.0+cpu" in result.stderr
        and "[[wheel]]" in result.stderr
        and "torch-cpu-wheels.toml" in result.stderr
    )
    assert (tmp_path / "requirements.lock").read_text() == (root / "requirements.lock").read_text()  # untouched


def test_the_lock_drops_only_what_the_gpu_packages_alone_need() -> None:
    text = (
        "a==1 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via torch\n"
        "nvidia-x==1 \\\n    --hash=sha256:" + "b" * 64 + "\n    # via torch\n"
        "only-gpu==1 \\\n    --hash=sha256:" + "c" * 64 + "\n    # via nvidia-x\n"
        "shared==1 \\\n    --hash=sha256:" + "d" * 64 + "\n    # via\n    #   nvidia-x\n    #   a\n"
        "triton==3 \\\n    --hash=sha256:" + "e" * 64 + "\n    # via torch\n"
    )
    kept = lockfile.without_gpu_packages(lockfile.parse(text))
    assert [entry.name for entry in kept] == ["a", "shared"]
    assert kept[1].via == ["a"]


# -- the platform check ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "machine", "implementation", "version", "macos", "ok"),
    [
        ("Linux", "x86_64", "CPython", (3, 11), "", True),
        ("Linux", "x86_64", "CPython", (3, 13), "", True),
        ("Darwin", "arm64", "CPython", (3, 12), "14.5", True),
        ("Darwin", "arm64", "CPython", (3, 12), "13.6", False),
        ("Darwin", "x86_64", "CPython", (3, 12), "14.5", False),
        ("Linux", "aarch64", "CPython", (3, 11), "", False),
        ("Windows", "AMD64", "CPython", (3, 11), "", False),
        ("Linux", "x86_64", "CPython", (3, 10), "", False),
        ("Linux", "x86_64", "CPython", (3, 14), "", False),
        ("Linux", "x86_64", "PyPy", (3, 11), "", False),
    ],
)
def test_the_platform_check(system, machine, implementation, version, macos, ok) -> None:
    message = supported.problem(system, machine, implementation, version, macos)
    assert (message is None) == ok
    if not ok:
        assert message.count("\n") == 1  # one message: what is supported, what this is, what to do
        assert "Linux x86_64, or macOS 14 or later on Apple silicon (arm64), with CPython 3.11, 3.12 or 3.13" in message
        assert f"{version[0]}.{version[1]}" in message and system in message and "PYTHON=" in message


def older_python() -> Path | None:
    """A CPython older than 3.11 that runs here (pyenv's, or on PATH), to try make with."""
    candidates = sorted(Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")).glob("versions/3.10*/bin/python"))
    candidates += [Path(found) for found in [shutil.which("python3.10")] if found]
    for candidate in candidates:
        if subprocess.run([str(candidate), "-c", ""], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def test_an_unsupported_python_stops_make_at_once(root: Path, tmp_path: Path) -> None:
    old = older_python()
    if old is None:
        pytest.skip("no Python older than 3.11 on this machine to try make with")
    shutil.copyfile(root / "Makefile", tmp_path / "Makefile")
    shutil.copytree(root / "booktools", tmp_path / "booktools")
    for name in ("requirements.lock", "pyproject.toml"):
        shutil.copyfile(root / name, tmp_path / name)
    result = subprocess.run(
        ["make", "venv", f"PYTHON={old}"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "CPython 3.11, 3.12 or 3.13" in result.stderr and "CPython 3.10" in result.stderr
    assert not (tmp_path / ".venv").exists()  # stopped before anything was made


def test_make_picks_the_first_supported_python(root: Path) -> None:
    result = subprocess.run(["make", "-p", "-n", "help"], cwd=root, capture_output=True, text=True, check=False)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("PYTHON :=")]
    picked = line.split(":=", 1)[1].strip()
    first = next(
        (name for name in ("python3.11", "python3.12", "python3.13")
         if subprocess.run([name, "-c", ""], capture_output=True, check=False).returncode == 0),
        "python3",
    )  # fmt: skip
    assert picked == first


def test_a_missing_cpu_torch_is_explained_on_linux() -> None:
    log = "ERROR: Could not find a version that satisfies the requirement torch==2.13.0+cpu\nNo matching distribution"
    advice = supported.pip_advice(log, "Linux", (3, 12))
    assert "Python 3.12" in advice and "PIP_EXTRA_INDEX_URL=" in advice and "CPU index" in advice
    assert "torch-cpu-wheels.toml" in advice
    assert "PIP_EXTRA_INDEX_URL" not in supported.pip_advice(
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES", "Linux", (3, 12)
    )
    unreachable = (
        "WARNING: Retrying ... NewConnectionError ... /whl/cpu/torch/ (host download.pytorch.org)\n"
        "ERROR: Cannot install torch==2.13.0+cpu because these package versions have conflicting dependencies."
    )
    advice = supported.pip_advice(unreachable, "Linux", (3, 13))
    assert "could not reach it" in advice and "PIP_FIND_LINKS" in advice


# -- the browser finder ----------------------------------------------------------------------------


def fake_executable(path: Path, text: str = "#!/bin/sh\necho fake chromium\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_browser_finder_follows_its_order(tmp_path: Path) -> None:
    home, bin_dir = tmp_path / "home", tmp_path / "bin"
    named = fake_executable(tmp_path / "named" / "chrome")
    old = fake_executable(home / ".cache/ms-playwright/chromium-1100/chrome-linux/chrome")
    new = fake_executable(home / ".cache/ms-playwright/chromium-1200/chrome-linux64/chrome")
    debian = fake_executable(tmp_path / "usr/bin/chromium")
    on_path = fake_executable(bin_dir / "google-chrome")
    app = fake_executable(tmp_path / "Applications/Chromium.app/Contents/MacOS/Chromium")
    env = {"BOOK_CHROMIUM": str(named), "PATH": str(bin_dir)}

    def found() -> chromium.Found | None:
        return chromium.find(env=env, home=home, system="Linux", debian=debian, mac_apps=(app,))

    assert found() == chromium.Found(named, "BOOK_CHROMIUM")
    del env["BOOK_CHROMIUM"]
    assert found().path == new  # Playwright's newest revision before its older one
    shutil.rmtree(home)
    assert found() == chromium.Found(debian, "Debian's chromium")
    debian.unlink()
    assert found() == chromium.Found(on_path, "google-chrome on PATH")
    on_path.unlink()
    assert found() == chromium.Found(app, "macOS application")
    app.unlink()
    assert found() is None
    assert old.name == "chrome"


def test_the_browser_finder_reads_playwrights_folder_on_macos_and_from_its_variable(tmp_path: Path) -> None:
    mac = fake_executable(
        tmp_path / "Library/Caches/ms-playwright/chromium-1300/chrome-mac-arm64/Chromium.app/Contents/MacOS/Chromium"
    )
    found = chromium.find(env={"PATH": ""}, home=tmp_path, system="Darwin", debian=tmp_path / "no", mac_apps=())
    assert found.path == mac
    elsewhere = fake_executable(tmp_path / "pw/chromium-7/chrome-linux/chrome")
    env = {"PATH": "", "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")}
    assert chromium.find(env=env, home=tmp_path, system="Linux", debian=tmp_path / "no", mac_apps=()).path == elsewhere


def test_the_browser_finder_passes_over_ubuntus_snap_shim(tmp_path: Path) -> None:
    shim = "#!/bin/sh\necho \"Command '/usr/bin/chromium-browser' requires the chromium snap to be installed.\"\n"
    fake_executable(tmp_path / "bin/chromium-browser", shim)
    chrome = fake_executable(tmp_path / "bin/google-chrome-stable")
    env = {"PATH": str(tmp_path / "bin")}
    found = chromium.find(env=env, home=tmp_path, system="Linux", debian=tmp_path / "no", mac_apps=())
    assert found.path == chrome


def test_a_broken_book_chromium_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(chromium.ChromiumError, match=r"BOOK_CHROMIUM=.*nowhere.* is not an executable file"):
        chromium.find(env={"BOOK_CHROMIUM": str(tmp_path / "nowhere")}, home=tmp_path, system="Linux")
    with pytest.raises(chromium.ChromiumError, match="playwright install chromium"):
        chromium.find(env={"BOOK_CHROMIUM": str(tmp_path)}, home=tmp_path, system="Linux")


def test_a_chromium_that_does_not_start_says_so_without_a_traceback(root: Path, tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    broken = fake_executable(tmp_path / "chrome", "#!/bin/sh\nexit 3\n")
    # In a process of its own: the browser tests keep Playwright's sync API open in this one.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from playwright.sync_api import sync_playwright\n"
        "from booktools.core import chromium\n"
        "with sync_playwright() as playwright:\n"
        "    try:\n"
        "        chromium.launch(playwright, chromium.Found(Path(sys.argv[1]), 'BOOK_CHROMIUM'))\n"
        "    except chromium.ChromiumError as error:\n"
        "        print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(broken)], cwd=root, capture_output=True, text=True, check=False
    )
    message = result.stdout.strip()
    assert result.returncode == 0, result.stderr
    assert "does not start" in message and str(broken) in message and "BOOK_CHROMIUM" in message
    assert "Traceback" not in message and message.count("\n") == 0


def test_make_pdf_without_a_browser_says_how_to_install_one(root: Path, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html></html>")
    result = subprocess.run(
        [sys.executable, "-m", "booktools.commands.pdf", "--site", str(tmp_path), "--out", str(tmp_path / "out")],
        cwd=root, capture_output=True, text=True, check=False,
        env={**os.environ, "BOOK_CHROMIUM": str(tmp_path / "missing-chrome")},
    )  # fmt: skip
    assert result.returncode == 1
    assert "BOOK_CHROMIUM=" in result.stderr and "playwright install chromium" in result.stderr
    assert "Traceback" not in result.stderr
