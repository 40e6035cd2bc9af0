"""Every page of the book in headless Chromium: offline, typeset, readable and usable on every screen."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from chapters import with_keyboard_targets
from checkout import ROOT
from pages import article

pytestmark = pytest.mark.browser

ARTICLE = "article.bd-article"

# TeX that MathJax should have replaced: $...$ on one line, or \( \[ delimiters.
RAW_TEX = re.compile(r"\$[^$\s][^$\n]*\$|\\\(|\\\[")
# Console messages of problems the build fixes (theme mode from html_context.default_mode,
# sphinx-thebe's constant declared twice, removed by booktools.extensions.offline): they must stay gone.
FIXED_PROBLEMS = ("invalid theme mode", "THEBE_JS_URL", "has already been declared")
# axe-core impacts that fail the test.
SERIOUS = {"serious", "critical"}
# WCAG contrast ratio between a figure's background and its darkest (or lightest) marks.
MIN_FIGURE_CONTRAST = 4.5


@pytest.mark.parametrize("view", ["desktop_light", "phone_dark", "reduced_motion"])
def test_page_loads_cleanly_and_offline(request, docname, view):
    visit = request.getfixturevalue(view)
    assert visit.requests, f"{visit.url}: no request was recorded"
    assert not visit.foreign_requests, f"{visit.url} asked another host for: {visit.foreign_requests}"
    assert not visit.failed_requests, f"{visit.url}: failed requests: {visit.failed_requests}"
    assert not visit.console_errors, f"{visit.url}: console errors or warnings: {visit.console_errors}"
    back = [m for m in visit.console_messages if any(p.lower() in m.lower() for p in FIXED_PROBLEMS)]
    assert not back, f"{visit.url}: a fixed problem is back: {back}"
    # Chromium skips the favicon while requests are intercepted; every browser asks for it, so ask too.
    icon = visit.page.evaluate(
        "(document.querySelector('link[rel~=icon]') || {}).href || new URL('/favicon.ico', location).href"
    )
    status = visit.page.request.get(icon).status
    assert status == 200, f"{visit.url}: its icon {icon} answers {status}"


def test_maths_is_typeset(desktop_light):
    page = desktop_light.page
    counts = page.evaluate(
        """sel => {
            const article = document.querySelector(sel);
            const math = [...article.querySelectorAll('.math')];
            return {math: math.length,
                    untypeset: math.filter(m => !m.querySelector('mjx-container'))
                                   .map(m => m.textContent.slice(0, 80)),
                    rendered: article.querySelectorAll('mjx-container').length};
        }""",
        ARTICLE,
    )
    assert not counts["untypeset"], f"{desktop_light.url}: maths left as TeX: {counts['untypeset']}"
    if counts["math"]:
        assert counts["rendered"] >= counts["math"], f"{desktop_light.url}: {counts}"
    text, code = page.evaluate(
        """sel => {
            const article = document.querySelector(sel);
            return [article.innerText, [...article.querySelectorAll('pre, code')].map(e => e.innerText)];
        }""",
        ARTICLE,
    )
    for snippet in sorted(code, key=len, reverse=True):
        text = text.replace(snippet, " ")
    raw = RAW_TEX.findall(text)
    assert not raw, f"{desktop_light.url}: raw TeX in the visible text: {raw[:5]}"


def test_every_image_has_alt_text(desktop_light):
    missing = desktop_light.page.evaluate(
        "[...document.querySelectorAll('img')].filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src)"
    )
    assert not missing, f"{desktop_light.url}: images without alt text: {missing}"


@pytest.mark.parametrize("view", ["desktop_light", "desktop_dark"])
def test_no_serious_accessibility_violation(request, docname, view):
    from axe_playwright_python.sync_playwright import Axe

    visit = request.getfixturevalue(view)
    options = {"resultTypes": ["violations"]}
    if view == "desktop_dark":  # the same page in other colours: only contrast can differ
        options["runOnly"] = {"type": "rule", "values": ["color-contrast"]}
    results = Axe().run(visit.page, options=options)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]
    assert not serious, f"{visit.url} ({view}):\n" + "\n".join(serious)


def test_phone_has_no_sideways_scroll(phone_light, views):
    page = phone_light.page
    width = views["phone_light"]["viewport"]["width"]
    scroll = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.body.scrollWidth, document.body.clientWidth]"
    )
    assert scroll[0] <= scroll[1] + 1 and scroll[2] <= scroll[3] + 1, (
        f"{phone_light.url}: the page scrolls sideways on a {width}px phone "
        f"(scrollWidth, clientWidth of html and body): {scroll}"
    )
    too_wide = page.evaluate(
        """([sel, width]) => [...document.querySelector(sel).querySelectorAll('img, video, figure')]
            .map(e => [e.tagName + (e.id ? '#' + e.id : ''), e.getBoundingClientRect()])
            .filter(([, r]) => r.width > 0 && (r.left < -1 || r.right > width + 1))
            .map(([name, r]) => `${name}: ${Math.round(r.left)}..${Math.round(r.right)}`)""",
        [ARTICLE, width],
    )
    assert not too_wide, f"{phone_light.url}: media wider than the {width}px screen: {too_wide}"


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Relative luminance (WCAG 2) of sRGB colours with 0..255 channels, one per row."""
    c = np.asarray(rgb, dtype=float)[..., :3] / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _luminance(rgb: tuple[int, ...]) -> float:
    return float(luminance(np.array(rgb)))


def _contrast(a: float, b: float) -> float:
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def figure_contrast(png: bytes) -> tuple[float, float]:
    """The luminance of an image's background (its commonest colour) and the contrast of its marks with it.

    The marks are the 1% of pixels whose luminance is farthest from the background's.
    """
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.thumbnail((400, 400))
    rgb = np.asarray(image).reshape(-1, 3)
    colours, counts = np.unique(rgb, axis=0, return_counts=True)
    lum_bg = _luminance(tuple(colours[counts.argmax()]))
    lums = luminance(rgb)
    farthest = np.argsort(np.abs(lums - lum_bg))[-max(1, len(lums) // 100) :]
    return lum_bg, _contrast(lum_bg, float(lums[farthest].mean()))


def test_figure_contrast_tells_black_on_black_from_dark_on_white():
    """The measure used below, on images made here: it must reject a dark plot on a dark ground."""
    from PIL import Image, ImageDraw

    def png(ground: str, ink: str) -> bytes:
        image = Image.new("RGB", (200, 120), ground)
        ImageDraw.Draw(image).line([(10, 110), (190, 10)], fill=ink, width=4)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    ground, contrast = figure_contrast(png("white", "black"))
    assert ground == pytest.approx(1.0) and contrast == pytest.approx(21.0)
    ground, contrast = figure_contrast(png("#111111", "black"))
    assert ground < 0.01 and contrast < MIN_FIGURE_CONTRAST
    ground, contrast = figure_contrast(png("black", "#1f77b4"))  # a blue line on black: too dim
    assert contrast < MIN_FIGURE_CONTRAST


# Pause a video on its middle frame, once it has data, and wait until that frame is painted.
SHOW_MIDDLE_FRAME = """async video => {
    if (video.readyState < 2) await new Promise(r => video.addEventListener("loadeddata", r, {once: true}));
    video.pause();
    const seeked = new Promise(r => video.addEventListener("seeked", r, {once: true}));
    video.currentTime = video.duration / 2;
    await seeked;
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""


def test_figures_readable_in_dark_mode(desktop_dark):
    page = desktop_dark.page
    assert page.evaluate("document.documentElement.dataset.theme") == "dark", (
        f"{desktop_dark.url}: the theme did not follow the reader's dark colour scheme"
    )
    figures = page.locator(f"{ARTICLE} img, {ARTICLE} video")
    checked = 0
    for index in range(figures.count()):
        figure = figures.nth(index)
        if not figure.is_visible():
            continue  # inside a closed dropdown: nothing to see until it opens
        if figure.evaluate("e => e.tagName") == "VIDEO":
            figure.evaluate(SHOW_MIDDLE_FRAME)  # a decoded frame, not the blank before the first one
        background, contrast = figure_contrast(figure.screenshot())
        name = figure.get_attribute("alt") or figure.get_attribute("aria-label") or f"figure {index}"
        assert contrast >= MIN_FIGURE_CONTRAST, (
            f"{desktop_dark.url}: in dark mode '{name[:60]}' has contrast {contrast:.1f} "
            f"with its background (luminance {background:.2f}); at least {MIN_FIGURE_CONTRAST} is needed"
        )
        checked += 1
    if figures.count() and not checked:
        pytest.fail(f"{desktop_dark.url}: none of its {figures.count()} figures is visible")


@pytest.mark.parametrize("view", ["desktop_light", "desktop_dark", "phone_light", "phone_dark"])
def test_screenshot(request, root, docname, view, views):
    """Screenshots for a reviewer in _build/screenshots/; the page must show the reader's colour scheme."""
    from PIL import Image

    visit = request.getfixturevalue(view)
    scheme = views[view]["color_scheme"]
    page = visit.page
    shots = root / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"{docname.replace('/', '-')}_{view}.png"
    png = page.screenshot(path=str(path), full_page=True)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.width == views[view]["viewport"]["width"], f"{path.name}: the page is wider than the screen"
    image.thumbnail((200, 2000))
    median = float(np.median(luminance(np.asarray(image).reshape(-1, 3))))  # mostly page background
    if scheme == "dark":
        assert median < 0.2, f"{path.name}: the page is not dark in dark mode (luminance {median:.2f})"
    else:
        assert median > 0.8, f"{path.name}: the page is not light in light mode (luminance {median:.2f})"


def test_the_pages_with_keyboard_targets_are_those_the_sources_say(site, docnames):
    """The keyboard test runs on the pages ``with_keyboard_targets`` reads from the sources: the built ones."""
    expected = with_keyboard_targets(ROOT)
    assert expected, "no page has a video or a folded block: the keyboard test would run on no page"
    shown = [name for name in docnames if article(site, name).select("video, details > summary")]
    assert shown == expected, f"pages with a video or a folded block: {shown}; as the sources say: {expected}"


@pytest.mark.pages(with_keyboard_targets(ROOT))
def test_keyboard_reaches_and_opens_controls(reduced_motion):
    """Tab reaches every video and every folded block; Enter and Space open and close a solution.

    Runs on the reduced-motion page (no video moves by itself) and leaves its solutions closed.
    """
    page = reduced_motion.page
    targets = page.evaluate(
        """sel => {
            const found = [...document.querySelector(sel).querySelectorAll('video, details > summary')];
            found.forEach((e, i) => e.dataset.kbd = String(i));
            return found.map(e => e.tagName.toLowerCase() + ': '
                                  + (e.getAttribute('aria-label') || e.innerText).trim().slice(0, 50));
        }""",
        ARTICLE,
    )
    assert targets, f"{reduced_motion.url}: its source has a video or a folded block, but the page has none"
    reached: set[str] = set()
    first = None
    for _ in range(600):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? [e.dataset.kbd ?? null, e.outerHTML.slice(0, 60)] : null; }"
        )
        if focused is None:
            continue
        if first is None:
            first = focused[1]
        elif focused[1] == first and len(reached) > 0:
            break  # wrapped around the page
        if focused[0] is not None:
            reached.add(focused[0])
        if len(reached) == len(targets):
            break
    missed = [t for i, t in enumerate(targets) if str(i) not in reached]
    assert not missed, f"{reduced_motion.url}: Tab never reaches: {missed}"

    solutions = page.locator(f"{ARTICLE} details.sd-dropdown > summary")
    if solutions.count():
        summary = solutions.first
        summary.focus()
        details = summary.locator("xpath=..")
        assert not details.evaluate("d => d.open"), f"{reduced_motion.url}: a solution is open before any key"
        page.keyboard.press("Enter")
        assert details.evaluate("d => d.open"), f"{reduced_motion.url}: Enter does not open a solution"
        page.keyboard.press("Space")
        assert not details.evaluate("d => d.open"), f"{reduced_motion.url}: Space does not close a solution"
        page.keyboard.press("Space")
        assert details.evaluate("d => d.open"), f"{reduced_motion.url}: Space does not open a solution"
        details.evaluate("d => { d.open = false; }")  # as it was, for the other tests of this page
