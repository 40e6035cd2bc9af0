"""A video on paper: still frames decoded from its embedded H.264, from the first to the last.

Used by the printed book (:mod:`booktools.core.pdf_document`), which puts a filmstrip where
each page of the site shows a ``<video>``.
"""

from __future__ import annotations

import base64
import io
import tempfile
from pathlib import Path

from bs4 import BeautifulSoup, Tag

FILMSTRIP_CLASS = "pdf-filmstrip"


def video_frames(mp4: bytes) -> tuple[list[tuple[int, bytes]], int, bool]:
    """Frames spread from the first to the last, as JPEG, with their indices; the number of frames; wide or not.

    Three frames (start, middle, end) in a row; four, two to a row, for a wide video
    (two panels side by side), so that the text drawn in each frame stays legible.
    """
    import imageio_ffmpeg
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.mp4"
        path.write_bytes(mp4)
        total, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
        reader = imageio_ffmpeg.read_frames(str(path))
        size = tuple(next(reader)["size"])
        wide = size[0] / size[1] > 1.7
        count = 4 if wide else 3
        wanted = {round(i * (max(total, 1) - 1) / (count - 1)) for i in range(count)}
        kept: dict[int, bytes] = {}
        index, data = -1, b""
        for index, data in enumerate(reader):
            if index in wanted:
                kept[index] = data
        reader.close()
        if index < 0:
            raise ValueError("an embedded video holds no frame")
        kept[index] = data  # the last frame decoded is the end, whatever the container announced
        total = index + 1
    frames = []
    for i in sorted(k for k in kept if k <= index):
        out = io.BytesIO()
        Image.frombytes("RGB", size, kept[i]).save(out, format="JPEG", quality=85, optimize=True)
        frames.append((i, out.getvalue()))
    return frames, total, wide


def filmstrip(soup: BeautifulSoup, figure: Tag) -> Tag:
    """A ``<figure>`` of still frames (start, middle, end) standing in for the video in ``figure``."""
    source = figure.find("source")
    src = source.get("src", "") if source else ""
    if not src.startswith("data:video/mp4;base64,"):
        raise ValueError("a video of the book does not embed its MP4 as a data: address")
    mp4 = base64.b64decode(src.split(",", 1)[1])
    frames, total, wide = video_frames(mp4)
    alt = figure.find("video").get("aria-label", "")
    strip = soup.new_tag("figure", attrs={"class": f"lesson-video {FILMSTRIP_CLASS}"})
    grid = soup.new_tag(
        "div", attrs={"class": "pdf-frames", "style": f"grid-template-columns: repeat({2 if wide else 3}, 1fr)"}
    )
    for position, (index, jpeg) in enumerate(frames):
        where = "start" if position == 0 else "end" if position == len(frames) - 1 else "then"
        cell = soup.new_tag("div", attrs={"class": "pdf-frame"})
        label_text = f"{where}: frame {index + 1} of {total}"
        cell.append(
            soup.new_tag(
                "img",
                attrs={
                    "src": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
                    "alt": f"{alt} ({label_text})",
                },
            )
        )
        label = soup.new_tag("span", attrs={"class": "pdf-frame-label"})
        label.string = label_text
        cell.append(label)
        grid.append(cell)
    strip.append(grid)
    caption = figure.find("figcaption")
    new_caption = soup.new_tag("figcaption")
    new_caption.append("An animation in the web edition, here as a filmstrip. ")
    if caption is not None:
        new_caption.append(caption.get_text())
    strip.append(new_caption)
    return strip
