"""The explorer in a real browser: the sliders, play, accessibility, and a page opened from disk.

The browser, the local server and the page loader are those of ``conftest.py`` (one Chromium for the
whole session); each test opens its page in a fresh context of its own, since several change how the
page is seen.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from checkout import ROOT

pytestmark = pytest.mark.browser

PAGE = "book/explorer.html"


def embedded(page) -> dict:
    return json.loads(page.eval_on_selector("script.sgd-explorer-data", "e => e.textContent"))


def readout(page) -> dict[str, str]:
    return page.eval_on_selector(
        ".sgd-x-readout",
        """r => {
        const out = {text: r.textContent, step: r.dataset.step};
        r.querySelectorAll("[data-field]").forEach(f => { out[f.dataset.field] = f.textContent; });
        return out; }""",
    )


def run_for(data: dict, lr: int, batch: int, seed: int) -> dict:
    b = data["batch_sizes"][batch]
    wanted = (data["lrs"][lr], b, None if b == data["n"] else data["seeds"][seed])
    return next(r for r in data["runs"] if (r["lr"], r["batch_size"], r["seed"]) == wanted)


def test_learning_rate_slider_by_keyboard_shows_the_precomputed_run(open_in_new_context, server):
    visit = open_in_new_context(server + PAGE, reduced_motion="reduce")
    page = visit.page
    page.wait_for_selector(".sgd-x-app")
    data = embedded(page)
    step = page.get_by_label("Step", exact=True)
    step.focus()
    page.keyboard.press("End")
    before = readout(page)
    assert before["step"] == str(data["steps"])

    lr = page.get_by_label("Learning rate")
    lr.focus()
    page.keyboard.press("ArrowRight")
    after = readout(page)
    index = data["initial"]["lr"] + 1
    assert lr.input_value() == str(index)
    run = run_for(data, index, data["initial"]["batch_size"], data["initial"]["seed"])
    assert run["diverged_at"] is None, "the test expects the next learning rate to converge"
    k = data["steps"]
    assert after != before
    assert after["step"] == str(k)
    for field in ("a1", "a2", "loss"):
        assert float(after[field]) == pytest.approx(run[field][k], rel=1e-9), field
    assert visit.console_errors == []


def test_diverged_run_says_so(open_in_new_context, server):
    visit = open_in_new_context(server + PAGE, reduced_motion="reduce")
    page = visit.page
    page.wait_for_selector(".sgd-x-app")
    data = embedded(page)
    page.get_by_label("Step", exact=True).focus()
    page.keyboard.press("End")
    page.get_by_label("Learning rate").focus()
    page.keyboard.press("End")  # the largest learning rate: every run diverges
    run = run_for(data, len(data["lrs"]) - 1, data["initial"]["batch_size"], data["initial"]["seed"])
    assert run["diverged_at"] is not None
    text = readout(page)["text"]
    assert f"Diverged at step {run['diverged_at']}" in text
    assert page.locator(".sgd-x-diverged").first.text_content() == f"diverged at step {run['diverged_at']}"


def test_play_advances_the_step_and_nothing_starts_by_itself(open_in_new_context, server):
    visit = open_in_new_context(server + PAGE, reduced_motion="reduce")
    page = visit.page
    page.wait_for_selector(".sgd-x-app")
    page.locator(".sgd-x-views").scroll_into_view_if_needed()
    page.wait_for_timeout(800)  # long enough for several steps, had anything started
    assert readout(page)["step"] == "0", "with reduced motion the explorer must not start by itself"
    play = page.get_by_role("button", name="Play")
    play.click()
    page.wait_for_function("Number(document.querySelector('.sgd-x-readout').dataset.step) > 3")
    page.get_by_role("button", name="Pause").click()
    stopped = readout(page)["step"]
    assert int(stopped) > 3
    assert page.get_by_label("Step", exact=True).input_value() == stopped
    assert visit.console_errors == []


def test_no_console_errors_while_exploring(open_in_new_context, server):
    visit = open_in_new_context(server + PAGE)
    page = visit.page
    page.wait_for_selector(".sgd-x-app")
    for label in ("Batch size", "Seed", "Learning rate"):
        page.get_by_label(label).focus()
        for key in ("Home", "ArrowRight", "ArrowRight", "End"):
            page.keyboard.press(key)
    page.get_by_label("Step", exact=True).focus()
    page.keyboard.press("PageDown")
    assert visit.console_errors == []


def test_no_serious_accessibility_violation_in_the_explorer(open_in_new_context, server):
    from axe_playwright_python.sync_playwright import Axe

    visit = open_in_new_context(server + PAGE, reduced_motion="reduce")
    page = visit.page
    page.wait_for_selector(".sgd-x-app")
    for theme in ("light", "dark"):
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        results = Axe().run(page, context="figure.sgd-explorer")
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{theme} theme:\n" + results.generate_report()


def test_works_from_a_file_url(open_in_new_context, site: Path):
    visit = open_in_new_context((site / PAGE).resolve().as_uri(), reduced_motion="reduce")
    page = visit.page
    page.wait_for_selector(".sgd-x-app")
    assert page.locator(".sgd-x-panel").count() == 3
    assert page.locator(".sgd-explorer-still").is_hidden()
    page.get_by_label("Batch size").focus()
    page.keyboard.press("ArrowLeft")
    assert "batch size 1," in readout(page)["text"]
    assert visit.console_errors == []


def test_still_picture_without_javascript(open_in_new_context, server):
    visit = open_in_new_context(server + PAGE, java_script_enabled=False)
    page = visit.page
    still = page.locator("figure.sgd-explorer .sgd-explorer-still")
    assert still.is_visible()
    assert len(still.get_attribute("alt")) > 40
    assert page.locator(".sgd-x-app").count() == 0


def test_starts_by_itself_when_seen_without_reduced_motion(open_in_new_context, server):
    visit = open_in_new_context(server + PAGE, reduced_motion="no-preference")
    page = visit.page
    page.wait_for_selector(".sgd-x-app")
    page.locator(".sgd-x-views").scroll_into_view_if_needed()
    page.wait_for_function("Number(document.querySelector('.sgd-x-readout').dataset.step) > 3")
    assert page.get_by_role("button", name="Pause").is_visible()
    assert visit.console_errors == []


def test_a_grid_of_full_batches_shows_no_batch_or_seed_slider(open_in_new_context, tmp_path: Path):
    """The page script on a chapter's smaller grid: full-batch gradient descent only."""
    from lesson_code import explorer_html, make_line

    static = ROOT / "lesson_code" / "static"
    figure = explorer_html(
        *make_line(), lrs=(0.1, 0.3, 3.0), batch_sizes=(100,), seeds=(0,), steps=30, initial_lr=0.1
    ).data
    html = tmp_path / "grid.html"
    html.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A smaller grid</title>'
        f'<link rel="stylesheet" href="{(static / "explorer.css").as_uri()}">'
        f'<script defer src="{(static / "explorer.js").as_uri()}"></script></head>'
        f"<body><main>{figure}</main></body></html>",
        encoding="utf-8",
    )
    visit = open_in_new_context(html.as_uri(), reduced_motion="reduce")
    page = visit.page
    page.wait_for_selector(".sgd-x-app")
    assert page.locator(".sgd-x-control label").all_text_contents() == ["Learning rate", "Step"]
    data = embedded(page)
    page.get_by_label("Step", exact=True).focus()
    page.keyboard.press("End")
    page.get_by_label("Learning rate").focus()
    page.keyboard.press("ArrowRight")
    run = run_for(data, 1, 0, 0)
    shown = readout(page)
    assert "(full batch)" in shown["text"]
    assert float(shown["a1"]) == pytest.approx(run["a1"][30], rel=1e-9)
    assert visit.console_errors == []
