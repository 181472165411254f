# sdgas-ultra, AGPL-3.0
"""Small drawing helpers shared by the surfaces: smooth ramps, blurred noise, windows, pixel grids, box overlap."""

import cv2
import numpy as np

F32 = np.float32


def smoothstep(x, lo, hi):
    """Smooth 0 -> 1 ramp between lo and hi (any shape)."""
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def noise(rng, h, w, sx, sy=None):
    """(h, w) float32 Gaussian noise blurred with sigmas (sx along x, sy along y), rescaled to unit std."""
    n = cv2.GaussianBlur(rng.standard_normal((h, w), dtype=F32), (0, 0), sigmaX=sx, sigmaY=sy or sx)
    return n / (n.std() + 1e-6)


def ellipse(h, w, soft=0.3):
    """(h, w) window: 1 inside the inscribed ellipse, falling smoothly to 0 at its border over `soft`."""
    y = np.linspace(-1, 1, h, dtype=F32)[:, None]
    x = np.linspace(-1, 1, w, dtype=F32)[None]
    return smoothstep(1.0 - (x * x + y * y), 0.0, soft)


def grid(h, w):
    """Pixel-centre coordinates (yy (h, 1), xx (1, w)) as float32."""
    return np.arange(h, dtype=F32)[:, None], np.arange(w, dtype=F32)[None]


def overlap(a, b):
    """Intersection over the smaller area of boxes (x0, y0, x1, y1)."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    return iw * ih / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))


def widen(b, min_box, n):
    """Widen in place the boxes of (k, 5) [cls, x0, y0, x1, y1] rows thinner than min_box px, inside an n x n image."""
    for i in (1, 2):
        x0, x1 = b[:, i], b[:, i + 2]
        grow = np.maximum(min_box - (x1 - x0), 0)
        x0 -= np.ceil(grow / 2)
        x1 += np.floor(grow / 2)
        shift = np.minimum(x0, 0) + np.maximum(x1 - n, 0)
        x0 -= shift
        x1 -= shift
