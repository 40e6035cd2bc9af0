"""`make bench`: build times and page weights of the book, measured side by side in one run.

Everything happens in temporary copies of the book; the working tree is left as it was.
Prints a table and writes ``_build/bench.json``.

* clean builds: booktools' parallel execution with 1 worker and with all cores, and stock
  Jupyter Book with ``execute_notebooks: force``;
* rebuilds after no change, a prose-only edit, an edit to one chapter's code and an edit to
  ``lesson_code``, with the number of notebooks executed, against stock ``cache`` mode on the
  same edits (and whether stock mode left stale output);
* page weight: every page's HTML with the images it shows, every animation, the site without
  the theme's assets; and one animation as H.264 against ``to_jshtml()``;
* the printed book: ``booktools.core.pdf`` (what ``make pdf`` runs) on the clean build, its time (with the load average
  of the machine before it started), size and pages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from pathlib import Path

from booktools.core import chromium, pdf, toc, workspace

ROOT = Path(__file__).resolve().parents[2]
VIDEO = re.compile(rb'src="data:video/mp4;base64,([A-Za-z0-9+/=]+)"')
IMG = re.compile(rb'<img[^>]*\bsrc="([^"]+)"')
CHAPTER = "book/mse.md"
LESSON_EDIT = ("lesson_code/plots.py", 'DATA_COLOR = "#0072B2"', 'DATA_COLOR = "#56B4E9"')


def _row(name: str, result: workspace.BuildResult, **extra) -> dict:
    if result.returncode != 0:
        raise SystemExit(f"bench: the build '{name}' failed:\n{result.output[-3000:]}")
    executed = len(result.executed) + result.stock_executed
    return {"case": name, "seconds": round(result.seconds, 2), "executed": executed, **extra}


def clean_builds(source: Path, tmp: Path) -> list[dict]:
    rows = []
    for name, workers in (("clean, serial (1 worker)", 1), ("clean, parallel", os.cpu_count() or 1)):
        copy = workspace.copy_book(source, tmp / f"clean-{workers}")
        rows.append(_row(name, workspace.build(copy, workers=workers), workers=workers))
    copy = workspace.copy_book(source, tmp / "clean-stock")
    stock = workspace.build(copy, config=workspace.stock_config(copy, "force"))
    rows.append(_row("clean, stock jupyter-book (force)", stock))
    return rows


def rebuilds(source: Path, tmp: Path, *, stock: bool) -> list[dict]:
    label = "stock cache" if stock else "booktools"
    copy = workspace.copy_book(source, tmp / f"rebuild-{'stock' if stock else 'ours'}")
    config = workspace.stock_config(copy, "cache") if stock else None
    first = workspace.build(copy, config=config)
    rows = [_row(f"{label}: first build", first)]
    rows.append(_row(f"{label}: no change", workspace.build(copy, config=config)))
    workspace.append_to_first_paragraph(copy / CHAPTER, "A sentence added by the benchmark.")
    rows.append(_row(f"{label}: prose-only edit", workspace.build(copy, config=config)))
    workspace.edit_first_code_cell(copy / CHAPTER, "edited = True  # added by the benchmark")
    rows.append(_row(f"{label}: one chapter's code", workspace.build(copy, config=config)))
    before = workspace.site_images(copy)
    path, old, new = LESSON_EDIT
    module = copy / path
    module.write_text(module.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    result = workspace.build(copy, config=config)
    stale = workspace.site_images(copy) == before
    rows.append(_row(f"{label}: lesson_code edit", result, stale_output=stale))
    return rows


def page_weights(site: Path, docnames: list[str]) -> dict:
    pages, videos = {}, {}
    for docname in docnames:
        html = (site / f"{docname}.html").read_bytes()
        images = 0
        for src in IMG.findall(html):
            if src.startswith(b"data:"):
                continue  # inline: already counted in the HTML's bytes
            target = (site / docname).parent / src.decode()
            if target.is_file():
                images += target.stat().st_size
        pages[docname] = {"html_bytes": len(html), "image_bytes": images, "total_bytes": len(html) + images}
        for i, data in enumerate(VIDEO.findall(html)):
            videos[f"{docname}#{i + 1}"] = {"embedded_bytes": len(data), "mp4_bytes": len(data) * 3 // 4}
    own = 0
    for path in site.rglob("*"):
        if path.is_file() and not ({"_static", "_sphinx_design_static"} & set(path.relative_to(site).parts)):
            own += path.stat().st_size
    static_own = sum(p.stat().st_size for p in (site / "_static").glob("lesson*"))
    mathjax = sum(p.stat().st_size for p in (site / "_static" / "mathjax").rglob("*") if p.is_file())
    return {"pages": pages, "videos": videos, "site_own_bytes": own + static_own, "mathjax_bytes": mathjax}


def animation_formats() -> dict:
    """The gradient descent animation of the book, as embedded H.264 and as ``to_jshtml()``."""
    import base64

    import torch

    import lesson_code as lc

    x, y = lc.make_line(n=100, seed=0)
    history = lc.gradient_descent(lc.linear_mse, torch.tensor([-1.0, 1.0]), x, y, lr=0.1, steps=100)
    video = len(base64.b64encode(lc.encode_mp4(lc.fit_animation(x, y, history))))
    jshtml = len(lc.fit_animation(x, y, history).as_funcanimation().to_jshtml().encode())
    return {"html5_video_bytes": video, "jshtml_bytes": jshtml, "ratio": round(jshtml / video, 1)}


def print_table(report: dict) -> None:
    print("\nBuilds (wall time on this machine; 'executed' = notebooks executed)")
    print(f"{'case':44} {'seconds':>8} {'executed':>9}  notes")
    clean_serial = next(r["seconds"] for r in report["builds"] if r["case"].startswith("clean, serial"))
    for row in report["builds"]:
        notes = []
        if "stale_output" in row:
            notes.append("STALE output" if row["stale_output"] else "fresh output")
        if not row["case"].startswith("clean, serial"):
            notes.append(f"{100 * row['seconds'] / clean_serial:.0f}% of serial clean")
        print(f"{row['case']:44} {row['seconds']:8.1f} {row['executed']:9d}  {', '.join(notes)}")
    print("\nPages (HTML with inline media + images shown)")
    for name, page in report["weights"]["pages"].items():
        print(f"  {name:32} {page['total_bytes']:>10,} bytes")
    print("Animations (embedded base64 / MP4)")
    for name, video in report["weights"]["videos"].items():
        print(f"  {name:32} {video['embedded_bytes']:>10,} / {video['mp4_bytes']:,} bytes")
    print(f"Site's own bytes (no theme assets, no MathJax): {report['weights']['site_own_bytes']:,}")
    print(f"MathJax served locally: {report['weights']['mathjax_bytes']:,} bytes on disk")
    anim = report["animation"]
    print(
        f"One animation: H.264 {anim['html5_video_bytes']:,} bytes vs to_jshtml {anim['jshtml_bytes']:,} "
        f"bytes ({anim['ratio']}x smaller)"
    )
    printed = report["pdf"]
    print(
        f"The printed book: {printed['seconds']:.1f} s (load average {printed['load_average_before']} before), "
        f"{printed['bytes']:,} bytes, {printed['pages']} pages (budgets: 60 s, 15 MB)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "bench.json")
    parser.add_argument("--quick", action="store_true", help="skip the stock Jupyter Book comparisons")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="book-bench-") as tmp_name:
        tmp = Path(tmp_name)
        builds = clean_builds(ROOT, tmp)
        builds += rebuilds(ROOT, tmp, stock=False)
        if not args.quick:
            builds += rebuilds(ROOT, tmp, stock=True)
        site = tmp / "clean-1" / "_build" / "html"
        weights = page_weights(site, toc.docnames(ROOT))
        load = os.getloadavg()[0]
        printed = pdf.print_book(site, ROOT, tmp / "book.pdf", chromium.require())
        printed = {
            "seconds": round(printed["total_s"], 1),
            "bytes": printed["bytes"],
            "pages": printed["pages"],
            "load_average_before": round(load, 1),
        }
    report = {
        "cpus": os.cpu_count(),
        "builds": builds,
        "weights": weights,
        "animation": animation_formats(),
        "pdf": printed,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print_table(report)
    print(f"\nWritten to {args.out}")


if __name__ == "__main__":
    main()
