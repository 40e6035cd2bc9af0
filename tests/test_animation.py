"""Animations: H.264 video whose frames follow the training run, the same bytes on every build."""

import re
import tempfile
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import torch

from lesson_code import (
    encode_mp4,
    fit_animation,
    gradient_descent,
    linear_mse,
    make_line,
    race_animation,
    sgd,
    video_html,
)


@pytest.fixture(scope="module")
def runs():
    x, y = make_line(n=100, seed=0)
    a0 = torch.tensor([-1.0, 1.0])
    gd = gradient_descent(linear_mse, a0, x, y, lr=0.1, steps=20)
    stochastic = sgd(linear_mse, a0, x, y, lr=0.1, batch_size=10, epochs=2, seed=0)
    return x, y, gd, stochastic


def decode(mp4: bytes) -> list[np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.mp4"
        path.write_bytes(mp4)
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        width, height = meta["size"]
        return [np.frombuffer(f, dtype=np.uint8).reshape(height, width, 3) for f in reader]


def test_video_is_h264_mp4_with_one_frame_per_step(runs):
    x, y, gd, _ = runs
    mp4 = encode_mp4(fit_animation(x, y, gd))
    assert mp4[4:8] == b"ftyp" and b"avc1" in mp4  # an MP4 whose video track is H.264
    assert len(decode(mp4)) == gd.steps + 1


def test_frames_follow_the_run(runs):
    """The first frame and the last differ, and where they differ is where the line moved."""
    x, y, gd, _ = runs
    frames = decode(encode_mp4(fit_animation(x, y, gd)))
    first, last = frames[0].astype(int), frames[-1].astype(int)
    assert np.abs(first - last).sum() > 0

    # The line starts falling (slope -1) and ends rising (slope about 3): at the right edge of the
    # plot, the line's orange-red pixels move up the frame between the first and last frame.
    def red_rows(frame):
        right = frame[:, int(frame.shape[1] * 0.8) :]
        mask = (right[..., 0] > 180) & (right[..., 1] < 140) & (right[..., 2] < 100)
        return np.nonzero(mask)[0]

    assert red_rows(frames[-1]).mean() < red_rows(frames[0]).mean()


def test_every_skips_frames_but_keeps_the_last(runs):
    x, y, gd, _ = runs
    movie = fit_animation(x, y, gd, every=6)
    assert list(movie.frames) == [0, 6, 12, 18, 20]


def test_race_animation_shows_both_runs_step_for_step(runs):
    x, y, gd, stochastic = runs
    movie = race_animation(x, y, gd, stochastic, batch_size=10)
    assert len(movie.frames) == max(gd.steps, stochastic.steps) + 1
    assert len(decode(encode_mp4(movie))) == len(movie.frames)


def test_same_run_same_bytes(runs):
    x, y, gd, _ = runs
    assert encode_mp4(fit_animation(x, y, gd)) == encode_mp4(fit_animation(x, y, gd))


def test_video_html_has_controls_text_alternative_and_no_autoplay(runs):
    x, y, gd, _ = runs
    html = video_html(fit_animation(x, y, gd), alt='The "line" rises', caption="Twenty steps").data
    video = re.search(r"<video[^>]*>", html).group(0)
    assert "controls" in video and "autoplay" not in video.replace("data-autoplay", "")
    assert 'aria-label="The &quot;line&quot; rises"' in video
    assert "<figcaption>Twenty steps</figcaption>" in html
    assert 'src="data:video/mp4;base64,' in html


def test_video_html_requires_alt_and_caption(runs):
    x, y, gd, _ = runs
    with pytest.raises(ValueError, match="alt text and a caption"):
        video_html(fit_animation(x, y, gd), alt=" ", caption="x")
