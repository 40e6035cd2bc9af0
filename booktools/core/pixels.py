"""Figures compared by their pixels, and shown small: two PNG files may differ in their bytes (metadata,
compression) and show the same picture, so a figure has changed only when its decoded pixels have.
An image that Pillow cannot decode (an SVG) is compared by its bytes.
Taught nowhere in the book: this is how a reviewer sees what a change does to it.
"""

from __future__ import annotations

import base64
import io

THUMBNAIL_WIDTH = 320  # pixels: two side by side fit a laptop's screen


def _decoded(png: bytes):
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGBA")


def _decodable(data: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)):
            return True
    except UnidentifiedImageError:
        return False


def same_pixels(a: bytes, b: bytes) -> bool:
    """Whether two images decode to the same size and the same RGBA value at every pixel."""
    if a == b:
        return True
    if not (_decodable(a) and _decodable(b)):
        return False
    first, second = _decoded(a), _decoded(b)
    return first.size == second.size and first.tobytes() == second.tobytes()


def _changed_mask(a: bytes, b: bytes):
    """A black-and-white image: white where the two images (of one size) differ."""
    from PIL import ImageChops

    return ImageChops.difference(_decoded(a), _decoded(b)).convert("L").point(lambda value: 255 if value else 0)


def changed_pixels(a: bytes, b: bytes) -> tuple[int, int] | None:
    """How many pixels differ, and of how many; ``None`` when the sizes differ or an image is not decodable."""
    if not (_decodable(a) and _decodable(b)) or _decoded(a).size != _decoded(b).size:
        return None
    mask = _changed_mask(a, b)
    return mask.histogram()[255], mask.size[0] * mask.size[1]


def where_changed(a: bytes, b: bytes) -> bytes | None:
    """The second image greyed, with the pixels that differ from the first in red, widened to stay visible when
    the picture is made small; ``None`` when `changed_pixels` is."""
    from PIL import Image, ImageFilter

    if changed_pixels(a, b) is None:
        return None
    mask = _changed_mask(a, b).filter(ImageFilter.MaxFilter(7))
    picture = _decoded(b).convert("L").point(lambda value: 160 + value * 95 // 255).convert("RGB")
    picture.paste(Image.new("RGB", picture.size, (213, 0, 0)), mask=mask)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def thumbnail(png: bytes, width: int = THUMBNAIL_WIDTH) -> str:
    """The image scaled down to ``width`` pixels (never up), as a ``data:`` URI to put in a page."""
    if not _decodable(png):  # an SVG: shown as it is, scaled by the page
        return "data:image/svg+xml;base64," + base64.b64encode(png).decode("ascii")
    image = _decoded(png)
    if image.size[0] > width:
        image = image.resize((width, max(1, round(image.size[1] * width / image.size[0]))))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
