# sdgas-ultra, AGPL-3.0
"""Cheap camera realism for the pcb and textile surfaces: uneven lighting, defocus blur, sensor noise, JPEG.

Steel (synthetic-defects) keeps its own noise and blur: its images never change.
"""

import cv2
import numpy as np

from ._draw import F32


def finish(rng, img, s=1.0, easy=False):
    """Light, blur, add noise to and JPEG-compress a float32 image in grey levels; returns uint8 of the same shape.

    img: (H, W) or (H, W, 3) float32, about 0-255. s: pixel scale of the blur sigma. Lighting is a gain field: a
    random ramp, low-frequency shading (bicubic 3x3 noise) and vignetting. Blur (60% of images, sigma 0.3-1.0 px
    times s), Gaussian sensor noise (sigma 1-6 grey levels per channel), then a JPEG round trip (70% of images,
    quality 35-95). easy: half the lighting and noise, no JPEG below quality 80.
    """
    h, w = img.shape[:2]
    k = 0.5 if easy else 1.0
    yy, xx = np.linspace(-1, 1, h, dtype=F32)[:, None], np.linspace(-1, 1, w, dtype=F32)[None]
    ramp = rng.normal(0, 0.12, 2).astype(F32)
    shade = cv2.resize(rng.standard_normal((3, 3), dtype=F32), (w, h), interpolation=cv2.INTER_CUBIC)
    gain = 1 + k * (ramp[0] * xx + ramp[1] * yy + rng.uniform(0, 0.06) * shade - rng.uniform(0, 0.15) * (xx**2 + yy**2))
    img = img * (gain[..., None] if img.ndim == 3 else gain)
    if rng.random() < 0.6:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0) * s)
    img = img + rng.standard_normal(img.shape, dtype=F32) * (rng.uniform(1.0, 6.0) * k)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    quality = int(rng.integers(35, 96))
    if rng.random() < 0.7 and not (easy and quality < 80):
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else img
    return img
