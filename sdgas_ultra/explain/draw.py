# sdgas-ultra, AGPL-3.0
"""Draw an explanation: panels of the same size, each with a title band, laid out in a grid of up to 3 columns.

A map panel is the image in grey under the map in colour (cv2's TURBO colour map, min-max scaled per map), with a
colour bar giving the map's own values and the boxes outlined: detections in ultralytics' class colours, ground truth
in white.
"""

import cv2
import numpy as np

FONT, SCALE, LINE = cv2.FONT_HERSHEY_SIMPLEX, 0.42, 16  # title text, px per text line
TITLE_H, BAR_W, COLUMNS = 3 * LINE + 4, 72, 3


def panel_size(h, w):
    """(height, width) of a panel's picture: the longer side between 320 and 640 px, aspect kept."""
    side = min(max(max(h, w), 320), 640)
    s = side / max(h, w)
    return max(round(h * s), 1), max(round(w * s), 1)


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


def titled(picture, title, subtitle="", width=None):
    """Stack a white title band (bold title, then the subtitle, wrapped) above `picture` (BGR), padded to `width`."""
    h, w = picture.shape[:2]
    width = width or w
    band = np.full((TITLE_H, width, 3), 255, np.uint8)
    lines = [(t, 2) for t in _wrap(title, width - 8)] + [(t, 1) for t in _wrap(subtitle, width - 8)]
    for k, (text, thick) in enumerate(lines[:3]):
        cv2.putText(band, text, (4, LINE * (k + 1) - 2), FONT, SCALE, (0, 0, 0), thick, cv2.LINE_AA)
    body = np.full((h, width, 3), 255, np.uint8)
    body[:, :w] = picture
    return np.vstack([band, body])


def colour_bar(height, low, high):
    """A vertical colour bar (height, BAR_W) for values low (bottom) .. high (top), with three labelled ticks."""
    bar = np.full((height, BAR_W, 3), 255, np.uint8)
    ramp = np.linspace(255, 0, height).astype(np.uint8)[:, None].repeat(12, 1)
    bar[:, 4:16] = cv2.applyColorMap(ramp, cv2.COLORMAP_TURBO)
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


def map_panel(image, heat, boxes, colours):
    """Overlay `heat` (H, W) float on `image` (H, W, 3) BGR, both at image size; returns the picture with its bar."""
    h, w = panel_size(*image.shape[:2])
    grey = cv2.cvtColor(cv2.cvtColor(cv2.resize(image, (w, h)), cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    low, high = float(heat.min()), float(heat.max())
    norm = (heat - low) / (high - low) if high > low else np.zeros_like(heat)
    colour = cv2.applyColorMap(cv2.resize((norm * 255).astype(np.uint8), (w, h)), cv2.COLORMAP_TURBO)
    picture = outline(cv2.addWeighted(grey, 0.4, colour, 0.6, 0), boxes, colours, w / image.shape[1])
    return np.hstack([picture, colour_bar(h, low, high)])


def grid(panels):
    """Lay equal-height panels (each (H, W_i, 3)) out left to right, COLUMNS per row, on white."""
    width = max(p.shape[1] for p in panels)
    rows = []
    for k in range(0, len(panels), COLUMNS):
        row = [np.pad(p, ((0, 0), (0, width - p.shape[1]), (0, 0)), constant_values=255) for p in panels[k:k + COLUMNS]]
        row += [np.full_like(row[0], 255)] * (COLUMNS - len(row)) if len(panels) > COLUMNS else []
        rows.append(np.hstack(row))
    return np.vstack(rows)
