"""The book's animations: they load, have controls and a text alternative, play,
and start by themselves only for readers who have not asked for reduced motion.

The tests run on the pages whose code shows a video (``chapters.with_video``), read from the
sources when pytest collects; ``test_site.py`` checks that these are the built pages with a video.
"""

from __future__ import annotations

import pytest
from chapters import with_video
from checkout import ROOT

WITH_VIDEO = with_video(ROOT)
pytestmark = [pytest.mark.browser, pytest.mark.pages(WITH_VIDEO)]

STILL_FOR_MS = 1500  # how long a video must stay still: a slow machine only makes it a weaker test
PLAY_TIMEOUT_MS = 120_000  # ends as soon as the video loads or plays: long, so that a busy machine cannot fail it

VIDEO_STATE = """() => [...document.querySelectorAll('video')].map(v => ({
    readyState: v.readyState, error: v.error && v.error.code, controls: v.controls, paused: v.paused,
    currentTime: v.currentTime, label: (v.getAttribute('aria-label') || '').trim(),
    fallback: v.textContent.trim(), autoplayAttribute: v.hasAttribute('autoplay'),
}))"""


def _wait_for(page, condition: str, arg: object, failure: str) -> None:
    """Wait for a JavaScript condition; on timeout fail with ``failure`` and the videos' state."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition, arg=arg, timeout=PLAY_TIMEOUT_MS)
        return
    except PlaywrightTimeout:
        pass
    seconds = PLAY_TIMEOUT_MS / 1000
    pytest.fail(f"{page.url}: {failure} within {seconds:g} s: {page.evaluate(VIDEO_STATE)}")


def _videos(visit) -> list[dict]:
    videos = visit.page.evaluate(VIDEO_STATE)
    assert videos, f"{visit.url}: its code shows a video, but the page has none"
    return videos


def test_videos_load_with_controls_and_text_alternative(reduced_motion):
    _videos(reduced_motion)
    page = reduced_motion.page
    _wait_for(
        page,
        "() => [...document.querySelectorAll('video')].every(v => v.readyState >= 2 || v.error)",
        None,
        "the videos did not load",
    )
    for index, video in enumerate(page.evaluate(VIDEO_STATE)):
        where = f"{reduced_motion.url}, video {index}"
        assert video["error"] is None, f"{where}: the browser cannot decode it (MediaError {video['error']})"
        assert video["readyState"] >= 2, f"{where}: no frame loaded (readyState {video['readyState']})"
        assert video["controls"], f"{where}: has no controls"
        assert video["label"] or video["fallback"], f"{where}: has no text alternative"
        assert not video["autoplayAttribute"], f"{where}: the autoplay attribute ignores reduced motion"


def test_reduced_motion_keeps_videos_still_until_asked(reduced_motion):
    _videos(reduced_motion)
    page = reduced_motion.page
    page.wait_for_timeout(STILL_FOR_MS)
    for index, video in enumerate(page.evaluate(VIDEO_STATE)):
        assert video["paused"] and video["currentTime"] == 0, (
            f"{reduced_motion.url}, video {index}: started by itself although the reader asked for "
            f"reduced motion ({video})"
        )
    # Asked to play (as the play button does), each one plays.
    count = page.locator("video").count()
    for index in range(count):
        video = page.locator("video").nth(index)
        video.evaluate("v => v.play()")
        _wait_for(
            page,
            "v => !v.paused && v.currentTime > 0.2",
            video.element_handle(),
            f"video {index} did not play when asked",
        )
        video.evaluate("v => { v.pause(); v.currentTime = 0; }")


def test_videos_start_by_themselves_without_reduced_motion(desktop_light):
    _videos(desktop_light)
    _wait_for(
        desktop_light.page,
        "() => [...document.querySelectorAll('video[data-autoplay]')].every(v => !v.paused && v.currentTime > 0.2)",
        None,
        "the page script did not start the videos",
    )
    for index, video in enumerate(desktop_light.page.evaluate(VIDEO_STATE)):
        assert not video["paused"], f"{desktop_light.url}, video {index}: the page script did not start it"
