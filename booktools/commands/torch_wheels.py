"""Download every torch wheel of the hash table from an index, checking each file's sha256.

    python -m booktools.commands.torch_wheels --index-url URL --dest FOLDER [--dry-run]

``booktools/lock/torch-cpu-wheels.toml`` keeps the digests of torch's Linux CPU wheels, which
``make lock`` writes into requirements.lock. This fetches each of them with
``pip download --no-deps --require-hashes`` for its own Python and platform, so that a digest that
is wrong (or a file replaced on the index) fails here, with the file named, instead of on a
reader's machine. The weekly workflow runs it against PyTorch's CPU index.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

from booktools.core.lockfile import Wheel, torch_table


def download_command(wheel: Wheel, index_url: str, dest: Path, requirements: Path) -> list[str]:
    """The ``pip download`` that fetches exactly ``wheel``, for its Python, refusing any other digest."""
    tag = "cp" + wheel.python.replace(".", "")
    return [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes",
        "--platform", wheel.file.removesuffix(".whl").split("-")[-1], "--python-version", wheel.python,
        "--implementation", "cp", "--abi", tag, "--index-url", index_url, "--dest", str(dest), "-r", str(requirements),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download and check every torch wheel of the hash table.")
    parser.add_argument("--index-url", required=True, help="the index that serves the wheels")
    parser.add_argument("--dest", type=Path, required=True, help="folder for the downloads")
    parser.add_argument("--dry-run", action="store_true", help="print the pip commands only")
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    failed = []
    for wheel in torch_table():
        requirements = args.dest / f"{wheel.file}.txt"
        requirements.write_text(f"torch=={wheel.version} --hash=sha256:{wheel.sha256}\n", encoding="utf-8")
        command = download_command(wheel, args.index_url, args.dest, requirements)
        print(" ".join(command), flush=True)
        if args.dry_run:
            continue
        done = subprocess.run(command, check=False)
        path = args.dest / wheel.file
        if done.returncode != 0 or not path.is_file():
            failed.append(f"{wheel.file}: pip download failed (exit {done.returncode})")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != wheel.sha256:
            failed.append(f"{wheel.file}: its sha256 is not the table's {wheel.sha256}")
    if failed:
        print(
            "\n".join(["Wheels of booktools/lock/torch-cpu-wheels.toml that do not check out:", *failed]),
            file=sys.stderr,
        )
        return 1
    print(f"{len(torch_table())} wheels checked." if not args.dry_run else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
