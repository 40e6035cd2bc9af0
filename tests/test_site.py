"""The built site, page by page: every chapter present, figures with alt text, videos that are
H.264, no error output, nothing loaded from another host, and the glued numbers right."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import torch
from chapters import with_video
from checkout import ROOT
from pages import article, number_after, page, prose, videos

pytestmark = pytest.mark.build

MAX_VIDEO_BYTES = 150_000
MAX_PAGE_BYTES = 400_000


def video_bytes(video) -> bytes:
    source = video.find("source")
    assert source is not None and source["src"].startswith("data:video/mp4;base64,"), "video carries no MP4 data"
    return base64.b64decode(source["src"].split(",", 1)[1])


def test_every_chapter_in_the_toc_has_its_page(site, docnames):
    missing = [d for d in docnames if not (site / f"{d}.html").is_file()]
    assert not missing, f"no page built for {missing}"


def test_every_image_has_alt_text_and_every_figure_a_caption(site, docnames):
    for docname in docnames:
        body = article(site, docname)
        for img in body.find_all("img"):
            assert img.get("alt", "").strip(), f"{docname}: image {img.get('src', '')[:60]} has no alt text"
        for figure in body.find_all("figure"):
            assert figure.find("figcaption"), f"{docname}: a figure has no caption"


def test_every_page_with_code_has_a_figure(site, docnames):
    for docname in docnames:
        body = article(site, docname)
        if body.find(class_="cell"):
            assert body.find("img") or body.find("video"), f"{docname} runs code but shows no figure"


@pytest.mark.parametrize("docname", with_video(ROOT))
def test_the_chapters_whose_code_shows_a_video_embed_one(site, docname):
    assert videos(site, docname), f"{docname} has no <video>"


def test_the_pages_with_a_video_are_those_whose_code_shows_one(site, docnames):
    """The browser's video tests run on ``with_video``'s pages, read from the sources: they must be the built ones."""
    expected = with_video(ROOT)
    assert expected, "no chapter's code calls video_html: the browser's video tests would run on no page"
    shown = [docname for docname in docnames if videos(site, docname)]
    assert shown == expected, f"pages with a <video>: {shown}; pages whose code calls video_html: {expected}"


def test_every_video_is_h264_with_controls_and_a_text_alternative(site, docnames):
    found = 0
    for docname in docnames:
        for video in videos(site, docname):
            found += 1
            data = video_bytes(video)
            assert data[4:8] == b"ftyp" and b"avc1" in data, f"{docname}: video is not H.264 in MP4"
            assert video.has_attr("controls"), f"{docname}: video has no controls"
            assert video.get("aria-label", "").strip(), f"{docname}: video has no text alternative"
            assert not video.has_attr("autoplay"), f"{docname}: video autoplays regardless of reduced motion"
    assert found, "the book has no video at all"


def test_no_page_shows_a_traceback_or_error_output(site, docnames):
    for docname in docnames:
        body = article(site, docname)
        text = body.get_text()
        assert "Traceback (most recent call last)" not in text, f"{docname} shows a traceback"
        assert not body.select(".output.error, .output.traceback, .output.stderr"), f"{docname} shows error output"


def test_no_page_loads_anything_from_another_host(site):
    pattern = re.compile(r"<(script|link|img|video|source|iframe)\b[^>]*\b(src|href)=[\"'](https?:)?//", re.I)
    for html in site.rglob("*.html"):
        if "_static" in html.parts:
            continue
        for match in pattern.finditer(html.read_text(encoding="utf-8")):
            tag = match.group(0)
            if tag.lower().startswith("<link") and "stylesheet" not in tag and "preload" not in tag:
                continue
            pytest.fail(f"{html.relative_to(site)} loads {tag}")


def test_maths_is_rendered_by_the_site_s_own_mathjax(site):
    soup = page(site, "book/gradient-descent")
    scripts = [s.get("src", "") for s in soup.find_all("script")]
    assert any(s.split("?")[0].endswith("_static/mathjax/tex-chtml.js") for s in scripts), scripts
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()


def page_weight(site: Path, docname: str) -> int:
    """Bytes a reader downloads for the page's own content: its HTML (with inline media) and its images."""
    html = site / f"{docname}.html"
    total = html.stat().st_size
    for img in article(site, docname).find_all("img"):
        src = img.get("src", "")
        if not src.startswith("data:"):
            total += (html.parent / src).stat().st_size
    return total


def test_animation_and_page_budgets(site, docnames):
    for docname in docnames:
        weight = page_weight(site, docname)
        assert weight <= MAX_PAGE_BYTES, f"{docname}: {weight:,} bytes with its media (budget {MAX_PAGE_BYTES:,})"
        for video in videos(site, docname):
            size = len(video.find("source")["src"])
            assert size <= MAX_VIDEO_BYTES, f"{docname}: a video takes {size:,} bytes (budget {MAX_VIDEO_BYTES:,})"


# -- the numbers in the prose, recomputed independently -----------------------------------


def independent_data(n: int = 100, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The book's data drawn again from its recipe, without lesson_code: x ~ U[-1, 1), noise ~ U[0, 1)."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.rand(n, generator=generator) * 2 - 1
    noise = torch.rand(n, generator=generator)
    x = torch.stack([inputs, torch.ones(n)], dim=1).double()
    return x, (3 * inputs + 2 + noise).double()


def test_mse_numbers_match_a_recomputation(site):
    x, y = independent_data()
    text = prose(site, "book/mse")
    guess = ((x @ torch.tensor([-1.0, 1.0], dtype=torch.float64) - y) ** 2).mean()
    best = torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
    assert number_after(text, "The guess scores a loss of") == pytest.approx(float(guess), abs=0.0005)
    assert number_after(text, "the best possible line for these points scores") == pytest.approx(
        float(((x @ best - y) ** 2).mean()), abs=0.00005
    )


def test_gradient_descent_numbers_match_a_recomputation(site):
    x, y = independent_data()
    a = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    first_loss = float(((x @ a - y) ** 2).mean())
    for _ in range(100):  # gradient descent in float64, with the formula instead of autograd
        a = a - 0.1 * 2 / len(y) * x.T @ (x @ a - y)
    best = torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
    text = prose(site, "book/gradient-descent")
    assert number_after(text, "In 100 steps the loss falls from") == pytest.approx(first_loss, abs=0.0005)
    assert number_after(text, "the line arrives at slope") == pytest.approx(float(a[0]), abs=0.0005)
    assert number_after(text, "and intercept") == pytest.approx(float(a[1]), abs=0.0005)
    match = re.search(r"The least-squares line has slope ([0-9.]+) and intercept ([0-9.]+)", text)
    assert match, "the least-squares sentence is missing"
    assert float(match.group(1)) == pytest.approx(float(best[0]), abs=0.0005)
    assert float(match.group(2)) == pytest.approx(float(best[1]), abs=0.0005)
    assert 2.4 < float(best[1]) < 2.6  # the noise has mean 1/2: the best intercept is near 2.5, not 2


def test_sgd_batches_per_epoch_match_the_arithmetic(site):
    text = prose(site, "book/sgd")
    assert number_after(text, "a batch size of 10 takes") == 10
    assert number_after(text, "with batches of 32 an epoch takes") == 4
    assert number_after(text, "the last one on") == 100 - 3 * 32
