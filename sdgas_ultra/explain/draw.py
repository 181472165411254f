# sdgas-ultra, AGPL-3.0
"""Draw an explanation: panels of the same size, each with a title band, laid out in a grid of up to 3 columns.

A map panel is the image in grey under the map in colour (cv2's TURBO colour map, min-max scaled per map), with a
colour bar giving the map's own values and the boxes outlined: detections in ultralytics' class colours, ground truth
in white.
"""

import functools

import cv2
import numpy as np

FONT, SCALE, LINE = cv2.FONT_HERSHEY_SIMPLEX, 0.42, 16  # title text, px per text line
TITLE_H, BAR_W, COLUMNS = 3 * LINE + 4, 72, 3
TURBO = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_TURBO)[:, 0]  # (256, 3) BGR; cv2
# rebuilds its table on every applyColorMap call (~1.5 ms), indexing this one is ~10x cheaper


def panel_size(h, w):
    """(height, width) of a panel's picture: the longer side between 256 and 400 px, aspect kept."""
    side = min(max(max(h, w), 256), 400)
    s = side / max(h, w)
    return max(round(h * s), 1), max(round(w * s), 1)


def bgr(image):
    """`image` as 3-channel BGR: (H, W) and (H, W, 1) grayscale are expanded, (H, W, 3) is returned as it is."""
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 or image.shape[2] == 1 else image


def _wrap(text, width):
    """Split `text` into lines that fit `width` px in the title font."""
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and cv2.getTextSize(trial, FONT, SCALE, 1)[0][0] > width:
            lines.append(line)
            trial = word
        line = trial
    return lines + [line]


@functools.lru_cache(maxsize=64)
def _band(title, subtitle, width):
    """A white title band (TITLE_H, width): bold title, then the subtitle, wrapped; the same for every image."""
    band = np.full((TITLE_H, width, 3), 255, np.uint8)
    lines = [(t, 2) for t in _wrap(title, width - 8)] + [(t, 1) for t in _wrap(subtitle, width - 8)]
    for k, (text, thick) in enumerate(lines[:3]):
        cv2.putText(band, text, (4, LINE * (k + 1) - 2), FONT, SCALE, (0, 0, 0), thick, cv2.LINE_AA)
    return band


def titled(picture, title, subtitle="", width=None):
    """`picture` (BGR) under its title band, padded with white to `width`."""
    h, w = picture.shape[:2]
    out = np.full((TITLE_H + h, width or w, 3), 255, np.uint8)
    out[:TITLE_H] = _band(title, subtitle, width or w)
    out[TITLE_H:, :w] = picture
    return out


def colour_bar(height, low, high):
    """A vertical colour bar (height, BAR_W) for values low (bottom) .. high (top), with three labelled ticks."""
    bar = np.full((height, BAR_W, 3), 255, np.uint8)
    bar[:, 4:16] = TURBO[np.linspace(255, 0, height).astype(np.uint8)][:, None]
    digits = next((d for d in range(3, 8) if f"{low:.{d}g}" != f"{high:.{d}g}"), 3)  # enough to tell them apart
    for frac in (0.0, 0.5, 1.0):
        y = int(round((1 - frac) * (height - 1)))
        text = f"{low + frac * (high - low):.{digits}g}"
        cv2.putText(bar, text, (19, min(max(y + 4, 10), height - 2)), FONT, 0.36, (0, 0, 0), 1, cv2.LINE_AA)
    return bar


def outline(picture, boxes, colours, scale):
    """Draw thin box outlines, boxes (N, 4) xyxy in image pixels, on `picture` scaled by `scale`."""
    for (x1, y1, x2, y2), c in zip(np.asarray(boxes, float).reshape(-1, 4) * scale, colours):
        cv2.rectangle(picture, (int(x1), int(y1)), (int(x2), int(y2)), c, 1, cv2.LINE_AA)
    return picture


def grey(image, size):
    """`image` (H, W, 3) BGR resized to size (h, w) and turned grey, still 3 channels: the base of every map panel."""
    h, w = size
    return cv2.cvtColor(cv2.cvtColor(cv2.resize(image, (w, h)), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def map_panel(base, heat, boxes, colours, scale):
    """Overlay `heat` (H, W) float at image size on `base` (see `grey`); boxes in image pixels, `scale` = base/image.
    Returns the picture with its colour bar on the right."""
    h, w = base.shape[:2]
    low, high = float(heat.min()), float(heat.max())
    norm = (heat - low) * (255 / (high - low)) if high > low else np.zeros_like(heat)
    colour = cv2.LUT(cv2.cvtColor(cv2.resize(norm.astype(np.uint8), (w, h)), cv2.COLOR_GRAY2BGR), TURBO[:, None])
    picture = outline(cv2.addWeighted(base, 0.4, colour, 0.6, 0), boxes, colours, scale)
    return np.hstack([picture, colour_bar(h, low, high)])


def grid(panels):
    """Lay equal-height panels (each (H, W_i, 3)) out left to right, COLUMNS per row, on white."""
    h, width = panels[0].shape[0], max(p.shape[1] for p in panels)
    rows = -(-len(panels) // COLUMNS)
    out = np.full((rows * h, min(len(panels), COLUMNS) * width, 3), 255, np.uint8)
    for k, p in enumerate(panels):
        y, x = k // COLUMNS * h, k % COLUMNS * width
        out[y : y + h, x : x + p.shape[1]] = p
    return out
