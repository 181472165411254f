# sdgas-ultra, AGPL-3.0
"""Steel surface of `synthetic-defects`: procedural NEU-DET-like hot-rolled-steel defects (6 classes, grayscale).

It stands in for NEU-DET where that is not at hand (tests, CI, demos, quick ablations); it is no benchmark.
Square grayscale images (200x200 by default, like NEU-DET) of hot-rolled-steel-like texture, each with 1-4 labelled
defects of NEU-DET's six classes, in NEU-DET's order: crazing, inclusion, patches, pitted_surface, rolled-in_scale,
scratches.

How an image is drawn (pixel sizes are for 200 px and scale with imgsz; the rolling direction is x until the end):
  background      base grey, per-image contrast, low-frequency shading (bicubic 4x4 noise) and a ramp, rolling
                  streaks (per-row noise varying slowly along x), streaky grain (noise blurred along x); sensor noise
                  and sometimes a slight blur come last, over the defects
  crazing         zero crossings of band-limited noise, smoother across than along x so cracks run mostly across the
                  rolling direction: a network of fine dark cracks, broken into fragments, in an irregular region
  inclusion       1-4 elongated spots strung along the rolling direction, mostly dark, sometimes bright
  patches         a large irregular blotch (smooth noise thresholded inside an ellipse), mottled, mostly dark
  pitted_surface  a cluster of 6-60 small pits of two sizes, dark with a faint bright rim
  rolled-in_scale sparse flakes elongated along rows (anisotropic noise over a quantile), embossed dark/bright
  scratches       one long thin line, slightly bent, bright or dark, fading along its length, mostly across x
Each defect is a signed unit patch (peak |value| 1) times a per-defect amplitude, placed where its box overlaps no
earlier box by more than 30% of the smaller one; its box is the bbox of the pixels with |patch| >= BOX_LEVEL (tight).
Class mix: image i has primary class i % 6, so classes are balanced as in NEU-DET (300 each); 55% of images hold one
defect, the rest 2-4, which keep the primary class 80% of the time. Difficulty: 20% of defects at low contrast,
sizes from a few pixels up to most of the image, unlabelled look-alikes (faint blotches, isolated pits, faint
streaks along the rolling direction). Last, each image is transposed (rolling direction vertical) and/or flipped.
The easy variant (`easy=True`, `sdgas synth --easy`, cfg synthetic-defects-quick.yaml) drops the low-contrast
defects and the look-alikes and draws defects EASY_GAIN times stronger: a detector learns it in minutes on a CPU.
Its images never change: tests/test_synthetic.py holds hashes of samples drawn before the surfaces were split out.
"""

import cv2
import numpy as np

from ._draw import F32, ellipse, grid, noise, overlap, smoothstep, widen

NAME = "synthetic-defects"
TITLE = "procedural NEU-DET-like surface defects"
CLASSES = ("crazing", "inclusion", "patches", "pitted_surface", "rolled-in_scale", "scratches")
CHANNELS = 1
IMGSZ = 200  # default image side, like NEU-DET
VERSION = 1  # bump whenever the images for given parameters change, so older datasets no longer count as "same"
STREAM = ()  # extra seed words: none, as before the other surfaces existed (their streams add a word of their own)
BOX_LEVEL = 0.2  # box = pixels whose |delta| reaches this fraction of the defect's peak
MIN_BOX = 3  # pixels; thinner footprints (a 1 px scratch along a row) are widened to this
AMPLITUDE = (48.0, 75.0, 40.0, 55.0, 40.0, 50.0)  # grey levels of a unit patch per class, at contrast 1
EASY_GAIN = 1.5  # defect amplitude factor of the easy variant


def _px(v, s, lo=3):
    """Length v (pixels at 200 px) scaled by s, as an int of at least lo."""
    return max(lo, int(round(v * s)))


# ----------------------------------------------------------------------------------------------- defect drawers
# Each drawer takes (rng, s) with s = imgsz / 200 and returns a signed float32 patch (h, w) with peak |value| 1,
# x along the rolling direction; negative is darker than the surface.


def draw_crazing(rng, s):
    """Network of fine dark cracks, fragmented, in an irregular region of 30-190 px."""
    h, w = _px(rng.uniform(30, 190), s, 8), _px(rng.uniform(30, 190), s, 8)
    sx = rng.uniform(1.2, 2.2) * s
    n = noise(rng, h, w, sx, sx * rng.uniform(1.8, 3.5))  # smoother along y: zero lines run across x
    cracks = np.exp(-((n / rng.uniform(0.15, 0.25)) ** 2))
    keep = smoothstep(noise(rng, h, w, 4 * s), -0.7, 0.3)  # breaks lines into fragments
    region = smoothstep(ellipse(h, w, 0.8) + 0.35 * noise(rng, h, w, 10 * s), 0.3, 0.6)
    return -cracks * keep * region


def draw_inclusion(rng, s):
    """1-4 elongated spots (half-lengths 3-14 px, half-widths 1.5-4.5 px) strung along the rolling direction."""
    k = int(rng.integers(1, 5))
    lx = rng.uniform(3, 14, k).astype(F32) * s
    ly = np.minimum(rng.uniform(1.5, 4.5, k).astype(F32) * s, lx * 0.6)
    gaps = rng.uniform(0.0, 1.5, k).astype(F32) * lx
    cx = np.concatenate([[0], np.cumsum(lx[:-1] + gaps[:-1] + lx[1:])]).astype(F32)  # spots end to end, with gaps
    cy = rng.normal(0, 1.5 * s, k).astype(F32)
    x0, x1 = (cx - 2.2 * lx).min(), (cx + 2.2 * lx).max()
    y0, y1 = (cy - 2.2 * ly).min() - 1, (cy + 2.2 * ly).max() + 1
    h, w = max(4, int(np.ceil(y1 - y0))), max(4, int(np.ceil(x1 - x0)))
    yy, xx = grid(h, w)
    cx, cy, lx, ly = (cx - x0)[:, None, None], (cy - y0)[:, None, None], lx[:, None, None], ly[:, None, None]
    d = ((xx - cx) / lx) ** 2 + ((yy - cy) / ly) ** 2  # (k, h, w)
    spots = (np.exp(-(d**1.3)) * rng.uniform(0.6, 1.0, (k, 1, 1)).astype(F32)).max(0)
    spots *= np.clip(0.8 + 0.2 * noise(rng, h, w, 1.0 * s), 0.4, 1.2)  # ragged, uneven spots
    return (-1 if rng.random() < 0.75 else 1) * spots / spots.max()


def draw_patches(rng, s):
    """Large irregular blotch of 24-110 px, mottled inside, mostly dark."""
    h, w = _px(rng.uniform(24, 110), s, 8), _px(rng.uniform(24, 110), s, 8)
    dome = ellipse(h, w, 1.0)
    shape = dome + 0.7 * np.sqrt(dome) * noise(rng, h, w, min(h, w) / 8)  # ragged, but zero at the patch border
    blob = smoothstep(shape, 0.35, 0.6) * np.clip(0.8 + 0.2 * noise(rng, h, w, 1.5 * s), 0.3, 1.3)
    return (-1 if rng.random() < 0.85 else 1) * blob / blob.max()


def draw_pitted_surface(rng, s):
    """Cluster of 6-60 small pits (sigma 0.6-1 px and 1.2-2 px), dark with a faint bright rim, over 18-70 px."""
    h, w = _px(rng.uniform(18, 70), s, 8), _px(rng.uniform(18, 70), s, 8)
    k = int(np.clip(h * w / (rng.uniform(40, 90) * s * s), 6, 60))
    yx = np.clip(rng.normal(0.5, 0.2, (k, 2)), 0.12, 0.88) * (h - 1, w - 1)
    small = rng.random(k) < 0.6
    pits = np.zeros((h, w), F32)
    for mask, sigma in ((small, rng.uniform(0.6, 1.0) * s), (~small, rng.uniform(1.2, 2.0) * s)):
        imp = np.zeros((h, w), F32)
        iy, ix = np.rint(yx[mask]).astype(int).T
        np.add.at(imp, (iy, ix), rng.uniform(0.6, 1.0, mask.sum()))
        pits += cv2.GaussianBlur(imp, (0, 0), sigma) * sigma**2  # equal peak height whatever the pit size
    rim = cv2.GaussianBlur(pits, (0, 0), 1.5 * s)
    out = pits / pits.max() - 0.35 * rim / max(rim.max(), 1e-6)
    return -out / np.abs(out).max()


def draw_rolled_in_scale(rng, s):
    """Sparse flakes elongated along rows over 40-190 x 15-70 px, embossed (dark flake, bright edge) or inverted."""
    h, w = _px(rng.uniform(15, 70), s, 8), _px(rng.uniform(40, 190), s, 8)
    n = noise(rng, h, w, rng.uniform(2.5, 5.0) * s, rng.uniform(0.7, 1.3) * s)
    n = n * ellipse(h, w, 0.5) - 2.0 * (1.0 - ellipse(h, w, 0.5))  # keep flakes off the patch border
    t = np.quantile(n, 1.0 - rng.uniform(0.08, 0.22))
    flakes = smoothstep(n, t, t + 0.35)
    d = max(1, int(round(rng.uniform(1, 2.5) * s)))
    shifted = np.zeros_like(flakes)
    shifted[d:] = flakes[:-d]  # the flake's shadow one or two rows below: raised-scale look
    out = flakes - 0.6 * shifted
    return (-1 if rng.random() < 0.7 else 1) * out / np.abs(out).max()


def draw_scratches(rng, s):
    """One long thin line (30-190 px, 1-2 px wide), slightly bent, mostly across the rolling direction."""
    length = rng.uniform(30, 190) * s
    u = rng.random()
    theta = np.pi / 2 + rng.normal(0, 0.35) if u < 0.6 else rng.normal(0, 0.12) if u < 0.75 else rng.uniform(0, np.pi)
    t = np.linspace(0, length, 12)
    bend = np.cumsum(rng.normal(0, 0.5 * s, 12)) + rng.normal(0, 0.03) * length * np.sin(np.pi * t / length)
    d, nrm = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
    pts = t[:, None] * d + bend[:, None] * nrm  # (12, 2) as (x, y)
    pad = 3 * s + 2
    pts -= pts.min(0) - pad
    w, h = (np.ceil(pts.max(0) + pad)).astype(int)
    canvas = np.zeros((h, w), np.uint8)  # anti-aliasing needs 8-bit
    cv2.polylines(canvas, [np.rint(pts * 16).astype(np.int32)], False, 255, int(rng.choice([1, 1, 2])), cv2.LINE_AA, 4)
    line = cv2.GaussianBlur(canvas.astype(F32) / 255, (0, 0), 0.5 * s + 0.2)
    line *= 0.3 + 0.7 * smoothstep(noise(rng, h, w, max(length / 8, 2)), -1.2, 0.6)  # fades along its length
    return (1 if rng.random() < 0.6 else -1) * line / line.max()


DRAWERS = (draw_crazing, draw_inclusion, draw_patches, draw_pitted_surface, draw_rolled_in_scale, draw_scratches)


# ----------------------------------------------------------------------------------------------- one image
def _texture(rng, n, s, contrast):
    """(n, n) float32 steel surface without sensor noise: grey level + contrast * structured variation."""
    yy, xx = np.linspace(-1, 1, n, dtype=F32)[:, None], np.linspace(-1, 1, n, dtype=F32)[None]
    shade = cv2.resize(rng.standard_normal((4, 4), dtype=F32), (n, n), interpolation=cv2.INTER_CUBIC)
    ramp = rng.normal(0, 6) * xx + rng.normal(0, 6) * yy
    streaks = cv2.resize(rng.standard_normal((n, 6), dtype=F32), (n, n), interpolation=cv2.INTER_CUBIC)
    streaks = cv2.GaussianBlur(streaks, (1, 0), sigmaX=0.1, sigmaY=rng.uniform(0.5, 1.5) * s)
    grain = noise(rng, n, n, rng.uniform(1.5, 4.0) * s, rng.uniform(0.4, 0.8) * s)
    mottle = noise(rng, n, n, 6 * s)
    var = (
        rng.uniform(3, 14) * shade
        + ramp
        + rng.uniform(1.0, 6.0) * streaks
        + rng.uniform(2.0, 6.0) * grain
        + rng.uniform(0.0, 4.0) * mottle
    )
    return rng.uniform(75, 175) + contrast * var


def _footprint(patch):
    """Tight box (x0, y0, x1, y1) of |patch| >= BOX_LEVEL * peak, in patch pixels, exclusive ends."""
    ys, xs = np.nonzero(np.abs(patch) >= BOX_LEVEL * np.abs(patch).max())
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def _distractors(rng, img, s, contrast):
    """Add 0-3 unlabelled look-alikes in place: faint blotches, isolated pits, faint streaks along x."""
    n = img.shape[0]
    for _ in range(rng.choice(4, p=(0.3, 0.35, 0.25, 0.1))):
        kind = rng.integers(3)
        if kind == 0:  # shading blotch: patches' shape, far too faint and soft to be one
            patch = cv2.GaussianBlur(draw_patches(rng, s), (0, 0), 2 * s) * rng.uniform(4, 9)
        elif kind == 1:  # one or two lone pits: pitted_surface needs a cluster
            m = max(_px(9, s), 6)  # room for a pit away from the border at small imgsz
            patch = np.zeros((m, m), F32)
            patch[rng.integers(2, m - 2, 2), rng.integers(2, m - 2, 2)] = 1.0
            patch = cv2.GaussianBlur(patch, (0, 0), rng.uniform(0.6, 1.2) * s)
            patch *= -rng.uniform(8, 18) / patch.max()
        else:  # faint thin streak along the rolling direction: not a scratch (too faint), not an inclusion (too thin)
            w, h = _px(rng.uniform(40, 150), s), _px(6, s)
            yy, xx = grid(h, w)
            taper = smoothstep(1.0 - (2.0 * xx / (w - 1) - 1.0) ** 2, 0.0, 0.6)  # fades in and out along x
            patch = np.exp(-(((yy - h / 2) / (rng.uniform(0.5, 1.0) * s)) ** 2)) * taper
            patch *= rng.choice((-1, 1)) * rng.uniform(4, 9)
        ph, pw = min(patch.shape[0], n), min(patch.shape[1], n)
        y, x = rng.integers(0, n - ph + 1), rng.integers(0, n - pw + 1)
        img[y : y + ph, x : x + pw] += contrast * patch[:ph, :pw]


def render(rng, primary, imgsz=IMGSZ, easy=False, *, defects=True):
    """Draw one image with `primary` as its main class (easy: no faint defects or look-alikes, stronger defects).

    defects=False draws the same image without adding the defects (same random draws, same boxes): for tests.

    Returns:
        img (np.ndarray): (imgsz, imgsz) uint8 grayscale image.
        boxes (np.ndarray): (k, 5) float32 rows [cls, x0, y0, x1, y1] in pixels, exclusive ends, 1 <= k <= 4.
    """
    n, s = imgsz, imgsz / 200
    contrast = rng.uniform(0.6, 1.4)
    img = _texture(rng, n, s, contrast)
    k = rng.choice((1, 2, 3, 4), p=(0.55, 0.25, 0.13, 0.07))
    boxes = []
    for i in range(k):
        cls = primary if i == 0 or rng.random() < 0.8 else int(rng.integers(len(CLASSES)))
        patch = DRAWERS[cls](rng, s)[:n, :n]
        fx0, fy0, fx1, fy1 = _footprint(patch)
        for _ in range(20):
            y, x = rng.integers(0, n - patch.shape[0] + 1), rng.integers(0, n - patch.shape[1] + 1)
            box = (x + fx0, y + fy0, x + fx1, y + fy1)
            if all(overlap(box, b[1:]) < 0.3 for b in boxes):
                break
        else:
            continue  # no room left: fewer defects in this image
        level = rng.uniform(0.5, 0.75) if rng.random() < 0.2 else rng.uniform(0.7, 1.3)  # 20% low-contrast
        level = EASY_GAIN * max(level, 1.0) if easy else level
        if defects:
            img[y : y + patch.shape[0], x : x + patch.shape[1]] += AMPLITUDE[cls] * level * np.sqrt(contrast) * patch
        boxes.append((cls, *box))
    if not easy:
        _distractors(rng, img, s, contrast)
    img += rng.standard_normal((n, n), dtype=F32) * rng.uniform(1.5, 5.0) * contrast
    if rng.random() < 0.4:  # camera softness
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.8) * s)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    b = np.array(boxes, F32)
    widen(b, MIN_BOX, n)
    if rng.random() < 0.5:  # rolling direction vertical
        img, b = np.ascontiguousarray(img.T), b[:, [0, 2, 1, 4, 3]]
    if rng.random() < 0.5:
        img, b[:, [1, 3]] = np.ascontiguousarray(img[:, ::-1]), n - b[:, [3, 1]]
    if rng.random() < 0.5:
        img, b[:, [2, 4]] = np.ascontiguousarray(img[::-1]), n - b[:, [4, 2]]
    return img, b
