"""Which Chromium the browser tests and ``make pdf`` drive, found where users have one.

The order, first found wins:

1. ``BOOK_CHROMIUM``, a path to a Chromium or Chrome executable (it must exist: a wrong path is an error);
2. Playwright's own browser, from ``python -m playwright install chromium`` (in
   ``PLAYWRIGHT_BROWSERS_PATH``, or Playwright's cache: ``~/.cache/ms-playwright`` on Linux,
   ``~/Library/Caches/ms-playwright`` on macOS), newest first;
3. Debian's chromium, ``/usr/bin/chromium``;
4. ``chromium``, ``chromium-browser``, ``google-chrome``, ``google-chrome-stable`` or ``chrome`` on ``PATH``,
   except Ubuntu's snap shims (a script that asks for the snap, or a link into ``/snap``), which
   Playwright cannot drive;
5. the usual macOS applications, Chromium then Google Chrome, in ``/Applications``.
"""

from __future__ import annotations

import os
import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEBIAN = Path("/usr/bin/chromium")
ON_PATH = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
MAC_APPS = (
    Path("/Applications/Chromium.app/Contents/MacOS/Chromium"),
    Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
)
# Inside one of Playwright's chromium-<revision> folders, by platform.
PLAYWRIGHT_EXECUTABLES = (
    "chrome-linux64/chrome",
    "chrome-linux/chrome",
    "chrome-mac-arm64/Chromium.app/Contents/MacOS/Chromium",
    "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
)
HOW_TO_INSTALL = (
    "Install one: `.venv/bin/python -m playwright install chromium` (Playwright's own build, any platform), "
    "`sudo apt-get install chromium` (Debian), or Google Chrome; or name one with BOOK_CHROMIUM=/path/to/chrome."
)


class ChromiumError(RuntimeError):
    """No usable Chromium: the message says what was looked for and how to get one."""


@dataclass(frozen=True)
class Found:
    """A Chromium executable and where it was found."""

    path: Path
    source: str

    def __str__(self) -> str:
        return f"{self.path} ({self.source})"


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def is_snap_shim(path: Path) -> bool:
    """Whether ``path`` is one of Ubuntu's stand-ins for the chromium snap, which Playwright cannot drive."""
    if "/snap/" in str(path.resolve()) + "/":
        return True
    try:
        head = path.read_bytes()[:4096]
    except OSError:
        return False
    return head.startswith(b"#!") and b"snap" in head


def playwright_browsers(env: dict[str, str], home: Path, system: str) -> Path:
    """The folder where ``playwright install`` puts its browsers."""
    if env.get("PLAYWRIGHT_BROWSERS_PATH") not in (None, "", "0"):
        return Path(env["PLAYWRIGHT_BROWSERS_PATH"])
    return home / ("Library/Caches" if system == "Darwin" else ".cache") / "ms-playwright"


def _revision(folder: Path) -> int:
    try:
        return int(folder.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return -1


def find(
    env: dict[str, str] | None = None,
    home: Path | None = None,
    system: str | None = None,
    debian: Path = DEBIAN,
    mac_apps: tuple[Path, ...] = MAC_APPS,
) -> Found | None:
    """The first Chromium of the documented order, or ``None``; a ``BOOK_CHROMIUM`` that is no executable raises."""
    env = dict(os.environ) if env is None else env
    home = Path.home() if home is None else home
    system = platform.system() if system is None else system
    named = env.get("BOOK_CHROMIUM")
    if named:
        path = Path(named).expanduser()
        if not _executable(path):
            raise ChromiumError(
                f"BOOK_CHROMIUM={named} is not an executable file. Point it at a Chromium or Chrome executable, "
                f"or unset it to use the first one found. {HOW_TO_INSTALL}"
            )
        return Found(path, "BOOK_CHROMIUM")
    browsers = playwright_browsers(env, home, system)
    if browsers.is_dir():
        for folder in sorted(browsers.glob("chromium-*"), key=_revision, reverse=True):
            for inside in PLAYWRIGHT_EXECUTABLES:
                if _executable(folder / inside):
                    return Found(folder / inside, f"Playwright's {folder.name}")
    if _executable(debian) and not is_snap_shim(debian):
        return Found(debian, "Debian's chromium")
    for name in ON_PATH:
        where = shutil.which(name, path=env.get("PATH", ""))
        if where and not is_snap_shim(Path(where)):
            return Found(Path(where), f"{name} on PATH")
    for app in mac_apps:
        if _executable(app):
            return Found(app, "macOS application")
    return None


def require() -> Found:
    """The Chromium to use, or :class:`ChromiumError` saying how to install one."""
    found = find()
    if found is None:
        raise ChromiumError(
            "No Chromium found (looked at BOOK_CHROMIUM, Playwright's browsers, /usr/bin/chromium, "
            f"{', '.join(ON_PATH)} on PATH, and /Applications). {HOW_TO_INSTALL}"
        )
    return found


def launch(playwright, found: Found, args: list[str] = ARGS):
    """Start ``found`` headless through Playwright; a browser that will not start raises :class:`ChromiumError`."""
    from playwright.sync_api import Error

    try:
        return playwright.chromium.launch(executable_path=str(found.path), args=args)
    except Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ChromiumError(
            f"Chromium at {found} does not start: {first}. Check that `{found.path} --version` runs; "
            f"or name another with BOOK_CHROMIUM. {HOW_TO_INSTALL}"
        ) from None
