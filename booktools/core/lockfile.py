"""requirements.lock as data: its entries, the platforms it serves, and the split of torch by platform.

The lock serves every supported target from one file: Linux x86_64 and macOS arm64 (14 or later),
each on CPython 3.11, 3.12 and 3.13. uv resolves it from PyPI's metadata with one version of every
package for all of them; then torch is split by platform:

- Linux: ``torch==X+cpu ; sys_platform == 'linux'``, PyTorch's CPU build, whose digests come from
  ``booktools/lock/torch-cpu-wheels.toml`` (PyPI does not have those files);
- macOS: ``torch==X ; sys_platform == 'darwin'``, PyPI's own wheels for arm64, which are CPU builds;

and PyPI's Linux torch's GPU packages (``nvidia-*``, ``cuda-*``, ``triton``), which the CPU build
does not need, are left out with whatever only they need; a marker is kept only where it tells the
targets apart. The standard library and ``packaging`` only: ``make lock`` runs this in a throwaway
environment with uv and packaging, before .venv exists.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

PYTHONS = ("3.11", "3.12", "3.13")
# The environments uv resolves for, as PEP 508 markers.
ENVIRONMENTS = (
    "sys_platform == 'linux' and platform_machine == 'x86_64' and implementation_name == 'cpython'",
    "sys_platform == 'darwin' and platform_machine == 'arm64' and implementation_name == 'cpython'",
)
TORCH_TABLE = Path(__file__).resolve().parents[1] / "lock" / "torch-cpu-wheels.toml"
GPU_ONLY = re.compile(r"nvidia-[a-z0-9._-]+|cuda-[a-z0-9._-]+|triton|pytorch-triton")
LINUX = "sys_platform == 'linux'"
MACOS = "sys_platform == 'darwin'"
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*(.*?))?\s*\\?\s*$")
_HASH = re.compile(r"^\s+--hash=sha256:([0-9a-f]{64})\s*\\?\s*$")


def normalise(name: str) -> str:
    """A distribution's name as PEP 503 compares them: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Entry:
    """One pinned requirement of the lock: ``name==version ; marker`` and the sha256 of its files."""

    name: str
    version: str
    marker: str | None = None
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The entry as pip reads it, with its digests sorted and its parents as a comment."""
        head = f"{self.name}=={self.version}" + (f" ; {self.marker}" if self.marker else "")
        lines = [head, *(f"    --hash=sha256:{digest}" for digest in sorted(self.hashes))]
        text = " \\\n".join(lines) + "\n"
        if self.via:
            text += "    # via\n" + "".join(f"    #   {parent}\n" for parent in self.via)
        return text


def parse(text: str) -> list[Entry]:
    """The entries of a requirements file in the format uv and pip-compile write (``--hash``, ``# via``)."""
    entries: list[Entry] = []
    in_via = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or (line.startswith("#") and not entries):
            continue
        if line.startswith("#"):
            in_via = False
            continue
        found = _REQUIREMENT.match(line)
        if found:
            name, version, marker = found.groups()
            entries.append(Entry(name=normalise(name), version=version, marker=marker or None))
            in_via = False
            continue
        digest = _HASH.match(line)
        stripped = line.strip()
        if digest and entries:
            entries[-1].hashes.append(digest.group(1))
        elif stripped.startswith("# via") and entries:
            parents = stripped[len("# via") :].strip()
            entries[-1].via.extend([parents] if parents else [])
            in_via = True
        elif stripped.startswith("#") and in_via and entries:
            entries[-1].via.append(stripped.lstrip("#").strip())
        elif stripped.startswith("#"):
            continue
        else:
            raise ValueError(f"line {number} of the lock is not a pinned requirement, a hash or a comment: {line!r}")
    return entries


def _parent_name(via: str) -> str:
    """The distribution named by one ``# via`` item (``torch``, ``lesson-code (pyproject.toml)``, ``-r x``)."""
    return normalise(via.split()[0]) if via and not via.startswith("-") else via


def without_gpu_packages(entries: list[Entry]) -> list[Entry]:
    """The entries less the GPU packages of PyPI's Linux torch and whatever only they (transitively) need."""
    dropped = {entry.name for entry in entries if GPU_ONLY.fullmatch(entry.name)}
    changed = True
    while changed:
        changed = False
        for entry in entries:
            parents = {_parent_name(item) for item in entry.via}
            if entry.name not in dropped and parents and parents <= dropped:
                dropped.add(entry.name)
                changed = True
    kept = [entry for entry in entries if entry.name not in dropped]
    return [replace(entry, via=[item for item in entry.via if _parent_name(item) not in dropped]) for entry in kept]


def target_environments() -> list[dict[str, str]]:
    """The marker variables of every supported target: Linux x86_64 and macOS arm64, each on CPython 3.11-3.13."""
    platforms = [("linux", "Linux", "x86_64"), ("darwin", "Darwin", "arm64")]
    return [
        {
            "sys_platform": sys_platform,
            "platform_system": system,
            "platform_machine": machine,
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "python_version": python,
            "python_full_version": f"{python}.0",
            "implementation_version": f"{python}.0",
        }  # fmt: skip
        for sys_platform, system, machine in platforms
        for python in PYTHONS
    ]


def for_targets(entry: Entry) -> Entry | None:
    """The entry as the supported targets need it: without a marker that holds on all of them, and ``None``
    when it holds on none (a Windows or PyPy package). Needs ``packaging``, as ``make lock`` installs it."""
    if not entry.marker:
        return entry
    from packaging.markers import Marker

    marker = Marker(entry.marker)
    holds = [marker.evaluate(environment) for environment in target_environments()]
    if all(holds):
        return replace(entry, marker=None)
    return entry if any(holds) else None


@dataclass(frozen=True)
class Wheel:
    """One file of the torch hash table."""

    version: str
    python: str
    file: str
    sha256: str
    verified: str


def torch_table(path: Path = TORCH_TABLE) -> list[Wheel]:
    """The CPU wheels of torch whose digests the repository keeps, from ``booktools/lock/torch-cpu-wheels.toml``."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Wheel(**wheel) for wheel in data.get("wheel", [])]


def missing_torch_entry(version: str, table: list[Wheel], table_path: Path = TORCH_TABLE) -> str | None:
    """Why the table cannot give torch ``version``'s Linux line, or ``None`` if it has every Python's wheel."""
    have = {wheel.python for wheel in table if wheel.version == f"{version}+cpu"}
    missing = [python for python in PYTHONS if python not in have]
    if not missing:
        return None
    tags = ", ".join(f"cp{python.replace('.', '')}" for python in missing)
    return (
        f"{table_path.name} has no digest of torch {version}+cpu for Python {', '.join(missing)}.\n"
        f'Add one [[wheel]] entry per missing Python to {table_path} (version = "{version}+cpu", '
        f'file = "torch-{version}+cpu-<tag>-<tag>-manylinux_2_28_x86_64.whl" for {tags}, and the sha256 that '
        "PyTorch's CPU index lists after the file name), say in `verified` how you checked it, "
        "and run `make lock` again."
    )


def torch_entries(version: str, table: list[Wheel], macos_hashes: list[str], via: list[str]) -> list[Entry]:
    """torch's two lines: the CPU build from the table on Linux, PyPI's arm64 wheels on macOS."""
    linux = sorted(wheel.sha256 for wheel in table if wheel.version == f"{version}+cpu" and wheel.python in PYTHONS)
    return [
        Entry("torch", f"{version}+cpu", LINUX, linux, via),
        Entry("torch", version, MACOS, sorted(macos_hashes), via),
    ]


def macos_wheels(files: list[dict], version: str) -> list[str]:
    """The sha256 of PyPI's macOS arm64 wheels of torch ``version`` for the supported Pythons.

    ``files`` is PyPI's JSON simple index of torch: ``[{"filename": ..., "hashes": {"sha256": ...}}, ...]``.
    """
    tags = {f"cp{python.replace('.', '')}" for python in PYTHONS}
    found = []
    for item in files:
        parts = item["filename"].removesuffix(".whl").split("-")
        if len(parts) == 5 and parts[:2] == ["torch", version] and parts[2] in tags and parts[3] == parts[2]:
            if parts[4].startswith("macosx_") and parts[4].endswith("_arm64"):
                found.append(item["hashes"]["sha256"])
    return found


def problems(entries: list[Entry], table: list[Wheel]) -> list[str]:
    """What makes a lock unfit for the book: unhashed lines, GPU packages, two versions, a wrong torch."""
    found = []
    versions: dict[str, set[str]] = {}
    for entry in entries:
        if not entry.hashes:
            found.append(f"{entry.name}=={entry.version} has no --hash")
        if GPU_ONLY.fullmatch(entry.name):
            found.append(f"{entry.name} is a GPU package, which the CPU build of torch does not need")
        if entry.name != "torch":
            versions.setdefault(entry.name, set()).add(entry.version)
    found += [
        f"{name} is pinned at {sorted(pins)}: one version for every target"
        for name, pins in versions.items()
        if len(pins) > 1
    ]
    torches = [entry for entry in entries if entry.name == "torch"]
    if [(entry.marker) for entry in torches] != [LINUX, MACOS]:
        found.append(f"torch must have two lines, Linux's then macOS's; found {[entry.marker for entry in torches]}")
    else:
        linux, macos = torches
        cpu = sorted(w.sha256 for w in table if w.version == linux.version and w.python in PYTHONS)
        if not linux.version.endswith("+cpu") or sorted(linux.hashes) != cpu or not cpu:
            found.append(f"Linux's torch=={linux.version} must be a +cpu build with the table's digests")
        if macos.version != linux.version.removesuffix("+cpu"):
            found.append(f"macOS's torch=={macos.version} differs from Linux's {linux.version}")
    return found
