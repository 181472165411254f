# sdgas-ultra, AGPL-3.0
"""The `synthetic-defects` dataset: procedural NEU-DET-like steel-surface defects, generated offline.

It stands in for NEU-DET where that is not at hand (tests, CI, demos, quick ablations); it is no benchmark.
Square grayscale images (200x200 by default, like NEU-DET) of hot-rolled-steel-like texture, each with 1-4 labelled
defects of NEU-DET's six classes, in NEU-DET's order: crazing, inclusion, patches, pitted_surface, rolled-in_scale,
scratches. Written as an Ultralytics YOLO dataset: images/{train,val,test}/*.png (one channel),
labels/{train,val,test}/*.txt (`class cx cy w h`, normalised), data.yaml (`channels: 1`) and the marker
.synthetic.json (parameters and counts). The test split is for reporting only: nothing (best.pt, a design) is chosen
on it; its images come from their own random stream, apart from train and val.

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

Determinism: image i of a split draws from its own generator seeded with (seed, split, i), so the same parameters
give byte-identical files and changing --train/--val does not change the other images.
"""

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from .atomic import atomic_dir
from .errors import command

CLASSES = ("crazing", "inclusion", "patches", "pitted_surface", "rolled-in_scale", "scratches")
SPLITS = ("train", "val", "test")
# trains meaningfully in minutes on a 2-core CPU
DEFAULTS = {"train": 600, "val": 150, "test": 300, "seed": 0, "imgsz": 200, "easy": False}
GENERATOR = "sdgas_ultra.data.synthetic"
VERSION = 1  # bump whenever the images for given parameters change, so older datasets no longer count as "same"
MARKER = ".synthetic.json"  # written last: its presence means the dataset is complete
BOX_LEVEL = 0.2  # box = pixels whose |delta| reaches this fraction of the defect's peak
MIN_BOX = 3  # pixels; thinner footprints (a 1 px scratch along a row) are widened to this
AMPLITUDE = (48.0, 75.0, 40.0, 55.0, 40.0, 50.0)  # grey levels of a unit patch per class, at contrast 1
EASY_GAIN = 1.5  # defect amplitude factor of the easy variant
F32 = np.float32


# ----------------------------------------------------------------------------------------------- small helpers
def _smoothstep(x, lo, hi):
    """Smooth 0 -> 1 ramp between lo and hi (any shape)."""
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _noise(rng, h, w, sx, sy=None):
    """(h, w) float32 Gaussian noise blurred with sigmas (sx along x, sy along y), rescaled to unit std."""
    n = cv2.GaussianBlur(rng.standard_normal((h, w), dtype=F32), (0, 0), sigmaX=sx, sigmaY=sy or sx)
    return n / (n.std() + 1e-6)


def _ellipse(h, w, soft=0.3):
    """(h, w) window: 1 inside the inscribed ellipse, falling smoothly to 0 at its border over `soft`."""
    y = np.linspace(-1, 1, h, dtype=F32)[:, None]
    x = np.linspace(-1, 1, w, dtype=F32)[None]
    return _smoothstep(1.0 - (x * x + y * y), 0.0, soft)


def _grid(h, w):
    """Pixel-centre coordinates (yy (h, 1), xx (1, w)) as float32."""
    return np.arange(h, dtype=F32)[:, None], np.arange(w, dtype=F32)[None]


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
    n = _noise(rng, h, w, sx, sx * rng.uniform(1.8, 3.5))  # smoother along y: zero lines run across x
    cracks = np.exp(-((n / rng.uniform(0.15, 0.25)) ** 2))
    keep = _smoothstep(_noise(rng, h, w, 4 * s), -0.7, 0.3)  # breaks lines into fragments
    region = _smoothstep(_ellipse(h, w, 0.8) + 0.35 * _noise(rng, h, w, 10 * s), 0.3, 0.6)
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
    yy, xx = _grid(h, w)
    cx, cy, lx, ly = (cx - x0)[:, None, None], (cy - y0)[:, None, None], lx[:, None, None], ly[:, None, None]
    d = ((xx - cx) / lx) ** 2 + ((yy - cy) / ly) ** 2  # (k, h, w)
    spots = (np.exp(-(d**1.3)) * rng.uniform(0.6, 1.0, (k, 1, 1)).astype(F32)).max(0)
    spots *= np.clip(0.8 + 0.2 * _noise(rng, h, w, 1.0 * s), 0.4, 1.2)  # ragged, uneven spots
    return (-1 if rng.random() < 0.75 else 1) * spots / spots.max()


def draw_patches(rng, s):
    """Large irregular blotch of 24-110 px, mottled inside, mostly dark."""
    h, w = _px(rng.uniform(24, 110), s, 8), _px(rng.uniform(24, 110), s, 8)
    dome = _ellipse(h, w, 1.0)
    shape = dome + 0.7 * np.sqrt(dome) * _noise(rng, h, w, min(h, w) / 8)  # ragged, but zero at the patch border
    blob = _smoothstep(shape, 0.35, 0.6) * np.clip(0.8 + 0.2 * _noise(rng, h, w, 1.5 * s), 0.3, 1.3)
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
    n = _noise(rng, h, w, rng.uniform(2.5, 5.0) * s, rng.uniform(0.7, 1.3) * s)
    n = n * _ellipse(h, w, 0.5) - 2.0 * (1.0 - _ellipse(h, w, 0.5))  # keep flakes off the patch border
    t = np.quantile(n, 1.0 - rng.uniform(0.08, 0.22))
    flakes = _smoothstep(n, t, t + 0.35)
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
    line *= 0.3 + 0.7 * _smoothstep(_noise(rng, h, w, max(length / 8, 2)), -1.2, 0.6)  # fades along its length
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
    grain = _noise(rng, n, n, rng.uniform(1.5, 4.0) * s, rng.uniform(0.4, 0.8) * s)
    mottle = _noise(rng, n, n, 6 * s)
    var = (
        rng.uniform(3, 14) * shade
        + ramp
        + rng.uniform(1.0, 6.0) * streaks
        + rng.uniform(2.0, 6.0) * grain
        + rng.uniform(0.0, 4.0) * mottle
    )
    return rng.uniform(75, 175) + contrast * var


def _overlap(a, b):
    """Intersection over the smaller area of boxes (x0, y0, x1, y1)."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    return iw * ih / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))


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
            yy, xx = _grid(h, w)
            taper = _smoothstep(1.0 - (2.0 * xx / (w - 1) - 1.0) ** 2, 0.0, 0.6)  # fades in and out along x
            patch = np.exp(-(((yy - h / 2) / (rng.uniform(0.5, 1.0) * s)) ** 2)) * taper
            patch *= rng.choice((-1, 1)) * rng.uniform(4, 9)
        ph, pw = min(patch.shape[0], n), min(patch.shape[1], n)
        y, x = rng.integers(0, n - ph + 1), rng.integers(0, n - pw + 1)
        img[y : y + ph, x : x + pw] += contrast * patch[:ph, :pw]


def render(rng, primary, imgsz=200, easy=False):
    """Draw one image with `primary` as its main class (easy: no faint defects or look-alikes, stronger defects).

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
            if all(_overlap(box, b[1:]) < 0.3 for b in boxes):
                break
        else:
            continue  # no room left: fewer defects in this image
        level = rng.uniform(0.5, 0.75) if rng.random() < 0.2 else rng.uniform(0.7, 1.3)  # 20% low-contrast
        level = EASY_GAIN * max(level, 1.0) if easy else level
        img[y : y + patch.shape[0], x : x + patch.shape[1]] += AMPLITUDE[cls] * level * np.sqrt(contrast) * patch
        boxes.append((cls, *box))
    if not easy:
        _distractors(rng, img, s, contrast)
    img += rng.standard_normal((n, n), dtype=F32) * rng.uniform(1.5, 5.0) * contrast
    if rng.random() < 0.4:  # camera softness
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.8) * s)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    b = np.array(boxes, F32)
    for i in (1, 2):  # widen boxes thinner than MIN_BOX, staying inside the image
        x0, x1 = b[:, i], b[:, i + 2]
        grow = np.maximum(MIN_BOX - (x1 - x0), 0)
        x0 -= np.ceil(grow / 2)
        x1 += np.floor(grow / 2)
        shift = np.minimum(x0, 0) + np.maximum(x1 - n, 0)
        x0 -= shift
        x1 -= shift
    if rng.random() < 0.5:  # rolling direction vertical
        img, b = np.ascontiguousarray(img.T), b[:, [0, 2, 1, 4, 3]]
    if rng.random() < 0.5:
        img, b[:, [1, 3]] = np.ascontiguousarray(img[:, ::-1]), n - b[:, [3, 1]]
    if rng.random() < 0.5:
        img, b[:, [2, 4]] = np.ascontiguousarray(img[::-1]), n - b[:, [4, 2]]
    return img, b


def sample(seed, split, index, imgsz=200, easy=False):
    """Image `index` of `split` for `seed`, independent of every other image.

    Returns:
        img (np.ndarray): (imgsz, imgsz) uint8 grayscale image.
        labels (np.ndarray): (k, 5) float32 YOLO rows [cls, cx, cy, w, h], coordinates normalised to (0, 1].
    """
    from ultralytics.utils.ops import xyxy2xywhn

    rng = np.random.default_rng([seed, SPLITS.index(split), index])
    img, b = render(rng, index % len(CLASSES), imgsz, easy)
    return img, np.concatenate([b[:, :1], xyxy2xywhn(b[:, 1:], imgsz, imgsz)], 1)


# ----------------------------------------------------------------------------------------------- dataset on disk
def _params(n_train, n_val, seed, imgsz, easy=False, n_test=0):
    """Validated generation parameters as recorded in the marker ("test" and "easy" only when set, so markers written
    before the test split still match)."""
    checks = (("n_train", n_train, 1), ("n_val", n_val, 1), ("n_test", n_test, 0), ("seed", seed, 0),
              ("imgsz", imgsz, 64))
    for name, v, lo in checks:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    params = {"version": VERSION, "seed": int(seed), "train": int(n_train), "val": int(n_val), "imgsz": int(imgsz)}
    params = {**params, "test": int(n_test)} if n_test else params
    return {**params, "easy": True} if easy else params


def _splits(params):
    """The splits a dataset with these parameters holds (test only when it has test images)."""
    return tuple(s for s in SPLITS if params.get(s))


def read_marker(out_dir):
    """Marker dict of a synthetic-defects dataset at out_dir, or None if there is none (or it is not ours)."""
    try:
        meta = json.loads((Path(out_dir) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("generator") == GENERATOR else None


def _state(out, params):
    """What is at `out`: 'missing', 'empty', 'same' (complete, these params), 'ours' (other params) or 'foreign'."""
    if not out.exists():
        return "missing"
    if not out.is_dir():
        return "foreign"
    if not any(out.iterdir()):
        return "empty"
    meta = read_marker(out)
    if meta is None:
        return "foreign"
    complete = all(
        len(list((out / kind / split).glob(f"*{ext}"))) == params[split]
        for split in _splits(params)
        for kind, ext in (("images", ".png"), ("labels", ".txt"))
    )
    return "same" if meta.get("params") == params and complete else "ours"


def _data_yaml(out, params):
    """Text of data.yaml for the final location `out`."""
    p = params
    names = "".join(f"  {i}: {name}\n" for i, name in enumerate(CLASSES))
    test = "test: images/test # for reporting only: choose nothing on it\n" if p.get("test") else ""
    return (
        f"# synthetic-defects: procedural NEU-DET-like surface defects, {p['imgsz']}x{p['imgsz']} grayscale\n"
        f"# written by: sdgas synth OUT --train {p['train']} --val {p['val']} --test {p.get('test', 0)} "
        f"--seed {p['seed']} --imgsz {p['imgsz']}{' --easy' if p.get('easy') else ''}\n"
        f"path: {json.dumps(str(out))}\ntrain: images/train\nval: images/val\n{test}channels: 1\nnames:\n{names}"
    )


def _write_split(root, split, params):
    """Write images/<split>/*.png and labels/<split>/*.txt under root; returns instances per class (list of 6)."""
    counts = [0] * len(CLASSES)
    (root / "images" / split).mkdir(parents=True)
    (root / "labels" / split).mkdir(parents=True)
    digits = max(5, len(str(params[split] - 1)))
    for i in range(params[split]):
        img, labels = sample(params["seed"], split, i, params["imgsz"], params.get("easy", False))
        ok, png = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 6])
        if not ok:
            raise OSError(f"PNG encoding failed for {split} image {i}")
        (root / "images" / split / f"{i:0{digits}d}.png").write_bytes(png.tobytes())
        rows = [f"{int(c)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n" for c, cx, cy, w, h in labels.tolist()]
        (root / "labels" / split / f"{i:0{digits}d}.txt").write_text("".join(rows))
        for c in labels[:, 0].astype(int):
            counts[c] += 1
    return counts


def generate(out_dir, n_train=600, n_val=150, seed=0, imgsz=200, overwrite=False, easy=False, n_test=300):
    """Write the synthetic-defects dataset to out_dir, atomically, and return the path of its data.yaml.

    The dataset is built in a hidden sibling directory and renamed into place at the end, so out_dir either holds
    a complete dataset or is left as it was. An out_dir that already holds a complete dataset with the same
    parameters is kept as is (immediate return).

    Args:
        out_dir (str | Path): dataset root to create; it may be missing or an empty directory.
        n_train (int): training images, >= 1.
        n_val (int): validation images, >= 1.
        n_test (int): test images, >= 0 (0: no test split), drawn from their own stream (seed, "test", i).
        seed (int): base seed, >= 0; image i of a split is seeded from (seed, split, i).
        imgsz (int): image side in pixels, >= 64 (defect sizes scale with it).
        overwrite (bool): replace an earlier synthetic-defects dataset made with other parameters (never a
            directory without our marker).
        easy (bool): the easy variant (module docstring).

    Raises:
        FileExistsError: out_dir is non-empty and not a synthetic-defects dataset, or is one with other
            parameters and overwrite is False.
        ValueError: invalid sizes, seed or imgsz.
    """
    params = _params(n_train, n_val, seed, imgsz, easy, n_test)
    out = Path(out_dir).expanduser().resolve()
    state = _state(out, params)
    if state == "same":
        return out / "data.yaml"
    if state == "foreign":
        raise FileExistsError(
            f"{out} exists and is not an empty directory or a synthetic-defects dataset; refusing to overwrite it"
        )
    if state == "ours" and not overwrite:
        old = (read_marker(out) or {}).get("params")
        raise FileExistsError(
            f"{out} holds a synthetic-defects dataset with other parameters or missing files ({old}, wanted {params}); "
            "delete it, choose another directory, or replace it with overwrite=True (sdgas synth --force)"
        )
    try:
        with atomic_dir(out, replace=state == "ours") as tmp:
            instances = {split: _write_split(tmp, split, params) for split in _splits(params)}
            (tmp / "data.yaml").write_text(_data_yaml(out, params))
            meta = {
                "generator": GENERATOR,
                "params": params,
                "images": {split: params[split] for split in instances},
                "instances": {split: dict(zip(CLASSES, n)) for split, n in instances.items()},
            }
            (tmp / MARKER).write_text(json.dumps(meta, indent=1) + "\n")
    except FileExistsError:  # out changed meanwhile: fine if another process (a DDP rank) made the same dataset
        if _state(out, params) != "same":
            raise
    return out / "data.yaml"


def summary(out_dir):
    """One line: images per split and instances per class of the dataset at out_dir (read from its marker)."""
    meta = read_marker(out_dir)
    if meta is None:
        return f"{out_dir}: no synthetic-defects dataset"
    total = {c: sum(n[c] for n in meta["instances"].values()) for c in CLASSES}
    p = meta["params"]
    return (
        f"synthetic-defects ({'easy, ' if p.get('easy') else ''}seed {p['seed']}, {p['imgsz']}px): "
        f"{p['train']} train + {p['val']} val + {p.get('test', 0)} test images, "
        f"instances {', '.join(f'{c} {n}' for c, n in total.items())} -> {Path(out_dir) / 'data.yaml'}"
    )


def download(yaml):
    """`download:` hook of cfg/datasets/synthetic-defects.yaml: generate the dataset at yaml['path'].

    Ultralytics' check_det_dataset runs the YAML's `download:` text with {"yaml": data} when the val images are
    missing; data["path"] is then the resolved dataset root. Sizes come from the optional YAML key
    `synthetic: {train, val, test, seed, imgsz, easy}`, each defaulting to DEFAULTS.
    """
    opts = {**DEFAULTS, **(yaml.get("synthetic") or {})}
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown 'synthetic:' keys {sorted(unknown)}; expected {sorted(DEFAULTS)}")
    root = Path(yaml["path"])
    for split in SPLITS:  # generate() writes the fixed layout images/<split>; a YAML pointing elsewhere cannot work
        want = (root / "images" / split).resolve()
        if yaml.get(split) and Path(yaml[split]).resolve() != want:
            raise ValueError(f"synthetic-defects needs '{split}: images/{split}', got {yaml[split]}")
    generate(root, opts["train"], opts["val"], opts["seed"], opts["imgsz"], easy=bool(opts["easy"]),
             n_test=opts["test"])
    print(summary(root))


# ----------------------------------------------------------------------------------------------- `sdgas synth`
def _count(text, low=1):
    """argparse type: integer >= low (1)."""
    v = int(text)
    if v < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
    return v


def _count0(text):
    """argparse type: integer >= 0."""
    return _count(text, 0)


def add_parser(subparsers):
    """Register `sdgas synth OUT --train N --val N --test N --seed S --imgsz 200 [--easy] [--force]`."""
    p = subparsers.add_parser(
        "synth",
        help="write the procedural synthetic-defects dataset (NEU-DET-like, 6 classes)",
        description="Write the offline synthetic-defects dataset (YOLO format, 1-channel PNG) to OUT. "
        "OUT must not exist, be empty, or hold this same dataset (then nothing is done).",
    )
    p.add_argument("out", metavar="OUT", type=Path, help="dataset directory to create")
    p.add_argument("--train", type=_count, default=DEFAULTS["train"], help="training images (default %(default)s)")
    p.add_argument("--val", type=_count, default=DEFAULTS["val"], help="validation images (default %(default)s)")
    p.add_argument("--test", type=_count0, default=DEFAULTS["test"],
                   help="test images, for reporting only; 0: none (default %(default)s)")
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="base seed (default %(default)s)")
    p.add_argument("--imgsz", type=int, default=DEFAULTS["imgsz"], help="image side in pixels (default %(default)s)")
    p.add_argument("--easy", action="store_true", help="easy variant: no faint defects or look-alikes (quick demos)")
    p.add_argument(
        "--force", action="store_true", help="replace an earlier synthetic-defects dataset with other parameters"
    )
    p.set_defaults(func=_synth)


@command("sdgas synth")
def _synth(args):
    """Run `sdgas synth`; returns the exit code."""
    before = (args.out / MARKER).read_bytes() if (args.out / MARKER).is_file() else None
    yaml = generate(args.out, args.train, args.val, args.seed, args.imgsz, overwrite=args.force, easy=args.easy,
                    n_test=args.test)
    reused = before is not None and before == (yaml.parent / MARKER).read_bytes()
    print(summary(yaml.parent) + (" (already there, unchanged)" if reused else ""))
    return 0
