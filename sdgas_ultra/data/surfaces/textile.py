# sdgas-ultra, AGPL-3.0
"""Textile surface of `synthetic-textile`: procedural TILDA-like woven fabric with defects (4 classes, grayscale).

It stands in for TILDA where that is not at hand; it is no benchmark. Square grayscale images (256 px by default)
of a woven fabric seen from above, with TILDA's four defect classes in its order: hole, objects, oil_spot,
thread_error. Pixel sizes below are for 256 px and scale with imgsz.

How an image is drawn:
  weave           warp threads (across u) and weft threads (across v) of a plain, 2/1 or 3/1 twill, 2/2 twill or
                  satin weave; u and v are the pixel coordinates rotated (a vertical or horizontal warp, tilted by a
                  few degrees) and divided by the thread periods (4-10 px, warp and weft differing by up to 25%),
                  plus a slow wobble of up to 0.15 threads. In each cell the yarn on top is a rounded profile (its
                  width 60-95% of the period, per thread) dimmed towards the cell ends where it dives under; the
                  yarn below shows through the gaps at half brightness, the backing between them is dark. Every
                  thread has its own brightness and fibre streaks along its length (value noise per thread)
  grey levels     per-image base level and contrast, slow dye unevenness; then camera.finish (lighting, blur,
                  noise, JPEG)
Defects (each changes the weave in a window; its box is the tight box of the pixels whose change reaches BOX_LEVEL of
the defect's largest change):
  hole            warp and weft cut inside an irregular blob (5-28 px radius); each thread ends at its own place, so
                  the edge is ragged along both directions; dark inside (faint: a thinned patch letting little
                  light through)
  objects         something lying on the fabric: a hair or fibre (a curved 1-2 px line, 15-60 px) or a lump of lint
                  (a textured blob of 3-9 px), darker or lighter than the fabric
  oil_spot        a soft irregular stain (5-35 px radius) darkening the yarns, sometimes with a darker rim
  thread_error    along one thread, over 20-200 px: a missing thread (the crossing yarns float over a dark line), a
                  double or thick thread (a bright, fuller line), or a broken one (missing over a short run, with a
                  loose fibre end)
Class mix: image i has primary class i % 4; 55% of images hold one defect, the rest 2-3, which keep the primary class
80% of the time, overlapping an earlier box by at most 30% of the smaller. Difficulty: 25% of defects at low
contrast (faint stains, thin objects, small holes, thick rather than missing threads); unlabelled look-alikes:
slubs (a thread a little thicker over a run) and faint lint specks. The easy variant drops the low-contrast defects
and the look-alikes and uses a milder camera.
"""

import cv2
import numpy as np

from . import camera
from ._draw import F32, ellipse, noise, overlap, smoothstep, widen

NAME = "synthetic-textile"
TITLE = "procedural TILDA-like woven fabric defects"
CLASSES = ("hole", "objects", "oil_spot", "thread_error")
CHANNELS = 1
IMGSZ = 256
VERSION = 1
STREAM = (0x746578,)  # "tex": a seed word of its own, apart from steel and pcb
BOX_LEVEL = 0.2
MIN_BOX = 3
T = 256  # length of the per-thread tables (threads repeat their look after T threads)
WEAVES = ((1, 1, 1), (2, 1, 1), (3, 1, 1), (2, 2, 1), (1, 4, 2))  # (up, down, step): warp on top if
# (i + step * j) % (up + down) < up: plain, 2/1 and 3/1 twill, 2/2 twill, 5-end satin


class _Fabric:
    """One fabric: weave coordinates u, v of every pixel (n, n) and its per-thread tables."""

    def __init__(self, rng, n, s):
        theta = rng.choice((0.0, np.pi / 2)) + rng.normal(0, 0.05)
        pu = rng.uniform(4, 10) * s
        pv = pu * rng.uniform(0.8, 1.25)
        yy, xx = np.mgrid[0:n, 0:n].astype(F32)
        wobble = rng.uniform(0.03, 0.15)
        self.u = (xx * np.cos(theta) + yy * np.sin(theta)) / pu + wobble * noise(rng, n, n, 12 * s) + rng.uniform(0, 1)
        self.v = (-xx * np.sin(theta) + yy * np.cos(theta)) / pv + wobble * noise(rng, n, n, 12 * s)
        self.up, self.down, self.step = WEAVES[rng.integers(len(WEAVES))]
        self.width = rng.uniform(0.6, 0.95, (2, T)).astype(F32) * rng.uniform(0.9, 1.05, (2, 1)).astype(F32)
        self.bright = (1 + rng.normal(0, rng.uniform(0.02, 0.08), (2, T))).astype(F32)
        self.bright[1] *= rng.uniform(0.75, 1.1)  # weft dyed or spun a little differently
        self.fibre = rng.standard_normal((2, T, T)).astype(F32)  # value noise along each thread
        self.streak = rng.uniform(1.5, 4.0)  # fibre streaks per thread period
        self.backing = rng.uniform(0.05, 0.3)

    def shade(self, win=np.s_[:, :], warp=1.0, weft=1.0):
        """Brightness (about 0-1.2) of the pixels in `win`; warp, weft: yarn width factors (0 cuts the yarn)."""
        u, v = self.u[win], self.v[win]
        i, j = np.floor(u).astype(int), np.floor(v).astype(int)
        fu, fv = u - i, v - j
        yarns = []
        for k, (idx, across, along, scale) in enumerate(((i, fu, v, warp), (j, fv, u, weft))):
            t = idx % T
            half = self.width[k, t] * scale / 2 + 1e-3
            profile = np.sqrt(np.clip(1 - ((across - 0.5) / half) ** 2, 0, 1)) * (scale > 0)
            x = along * self.streak
            x0 = np.floor(x).astype(int)
            f = x - x0
            fib = self.fibre[k, t, x0 % T] * (1 - f) + self.fibre[k, t, (x0 + 1) % T] * f
            dive = 0.65 + 0.35 * np.sin(np.pi * (fv if k == 0 else fu))  # dimmer where it goes under
            yarns.append(self.bright[k, t] * profile * dive * (1 + 0.12 * fib))
        top = (i + self.step * j) % (self.up + self.down) < self.up
        hi, lo = np.where(top, yarns[0], yarns[1]), np.where(top, yarns[1], yarns[0])
        return np.maximum(np.maximum(hi, 0.5 * lo), self.backing).astype(F32)


# ----------------------------------------------------------------------------------------------- defects
# Each takes (rng, fab, clean, win, s, faint) and returns the defective brightness of clean[win], a window whose
# side comes from SIZES; faint: the low-contrast form.
def _hole(rng, fab, clean, win, s, faint):
    h, w = clean[win].shape
    blob = ellipse(h, w, 1.0) + 0.4 * np.sqrt(ellipse(h, w, 1.0)) * noise(rng, h, w, min(h, w) / 6)
    t = np.floor(fab.u[win]).astype(int) % T, np.floor(fab.v[win]).astype(int) % T
    rag = rng.uniform(-0.3, 0.3, (2, T)).astype(F32)  # each thread ends at its own place
    warp, weft = blob + rag[0][t[0]] > 0.45, blob + rag[1][t[1]] > 0.45
    cut = rng.uniform(0.4, 0.55) if faint else 0.0  # a faint hole: threads thinned, not cut
    out = fab.shade(win, np.where(warp, cut, 1.0), np.where(weft, cut, 1.0))
    return out if faint else out * np.where(warp & weft, 0.3, 1.0)  # dark through the hole


def _objects(rng, fab, clean, win, s, faint):
    h, w = clean[win].shape
    tone = rng.choice((0.05, 1.35)) if rng.random() < 0.8 else rng.uniform(0.6, 0.9)
    alpha = rng.uniform(0.35, 0.5) if faint else rng.uniform(0.7, 1.0)
    if rng.random() < 0.55:  # a hair or fibre: a random walk of 20 steps
        a = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.15, 20))
        pts = np.cumsum(np.stack([np.cos(a), np.sin(a)], 1) * rng.uniform(15, 60) * s / 20, 0)
        pts += (w, h) / np.float32(2) - (pts.max(0) + pts.min(0)) / 2
        canvas = np.zeros((h, w), np.uint8)
        width = 1 if faint else int(rng.choice((1, 1, 2)))
        cv2.polylines(canvas, [np.rint(pts * 16).astype(np.int32)[:, None]], False, 255, width, cv2.LINE_AA, 4)
        cover = cv2.GaussianBlur(canvas.astype(F32) / 255, (0, 0), 0.4 * s + 0.2)
    else:  # a lump of lint
        cover = smoothstep(ellipse(h, w, 1.0) + 0.5 * noise(rng, h, w, max(h, w) / 5), 0.3, 0.6)
        cover *= np.clip(0.85 + 0.3 * noise(rng, h, w, 1.0), 0, 1)
    cover *= alpha / max(cover.max(), 1e-6)
    return clean[win] * (1 - cover) + tone * cover


def _oil_spot(rng, fab, clean, win, s, faint):
    h, w = clean[win].shape
    dome = ellipse(h, w, 1.0)
    stain = smoothstep(dome + 0.5 * np.sqrt(dome) * noise(rng, h, w, min(h, w) / 6), 0.1, 0.7)
    if rng.random() < 0.3:  # a darker rim where the oil front stopped
        stain = stain + 0.6 * smoothstep(stain, 0.0, 0.4) * (1 - smoothstep(stain, 0.5, 1.0))
    depth = rng.uniform(0.12, 0.2) if faint else rng.uniform(0.25, 0.6)
    return clean[win] * (1 - depth * stain / stain.max())


def _thread_error(rng, fab, clean, win, s, faint):
    h, w = clean[win].shape
    k = int(rng.integers(2))  # warp or weft
    coord, along = (fab.u, fab.v)[k][win], (fab.v, fab.u)[k][win]
    centre = np.floor(coord[h // 2, w // 2])
    on = np.floor(coord) == centre
    span = (along - along[h // 2, w // 2]) * (1 if rng.random() < 0.5 else -1)
    kind = "thick" if faint else rng.choice(("missing", "double", "broken"), p=(0.45, 0.3, 0.25))
    lo, hi = np.percentile(span[on], (rng.uniform(0, 30), rng.uniform(70, 100)))
    if kind == "broken":
        hi = lo + rng.uniform(2, 6)
    run = on & (span >= lo) & (span <= hi)
    scale = {"missing": 0.0, "broken": 0.0, "double": 1.8, "thick": rng.uniform(1.35, 1.5)}[kind]
    factor = np.where(run, scale, 1.0)
    out = fab.shade(win, factor, 1.0) if k == 0 else fab.shade(win, 1.0, factor)
    if kind != "broken":  # a missing thread leaves a shadowed gap line; a double one stands out brighter
        out = np.where(run, out * {"missing": 0.6, "double": 1.2, "thick": 1.08}[kind], out)
    if kind == "broken":  # the loose end of the broken thread, curling off the fabric
        ys, xs = np.nonzero(run)
        p = np.array([xs.mean(), ys.mean()], F32)
        a = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.3, 8))
        pts = p + np.cumsum(np.stack([np.cos(a), np.sin(a)], 1) * rng.uniform(1.0, 2.0) * s, 0)
        canvas = np.zeros((h, w), np.uint8)
        cv2.polylines(canvas, [np.rint(pts * 16).astype(np.int32)[:, None]], False, 255, 1, cv2.LINE_AA, 4)
        out = np.maximum(out, canvas.astype(F32) / 255 * fab.bright[k].mean())
    return out


DRAWERS = (_hole, _objects, _oil_spot, _thread_error)
SIZES = ((12, 60), (16, 70), (12, 74), (30, 200))  # window side range per class, px at 256


def _distractors(rng, fab, clean, img, s):
    """Unlabelled look-alikes in place: slubs (a thread a little thicker over a run), faint lint specks."""
    n = img.shape[0]
    for _ in range(rng.choice(4, p=(0.3, 0.35, 0.25, 0.1))):
        m = int(rng.uniform(10, 40) * s) + 4
        y, x = rng.integers(0, n - m + 1, 2)
        win = np.s_[y : y + m, x : x + m]
        if rng.random() < 0.5:
            k = int(rng.integers(2))
            coord = (fab.u, fab.v)[k][win]
            factor = np.where(np.floor(coord) == np.floor(coord[m // 2, m // 2]), rng.uniform(1.08, 1.15), 1.0)
            img[win] += (fab.shade(win, factor, 1.0) if k == 0 else fab.shade(win, 1.0, factor)) - clean[win]
        else:
            speck = smoothstep(ellipse(m, m, 1.0), 0.85, 1.0) * rng.uniform(0.05, 0.12)
            img[win] = img[win] * (1 - speck) + rng.choice((0.05, 1.3)) * speck


def render(rng, primary, imgsz=IMGSZ, easy=False, *, defects=True):
    """Draw one fabric with `primary` as its main class (easy: no faint defects or look-alikes, milder camera).

    defects=False draws the same fabric without the defects (same random draws, same boxes): for tests.

    Returns:
        img (np.ndarray): (imgsz, imgsz) uint8 grayscale image.
        boxes (np.ndarray): (k, 5) float32 rows [cls, x0, y0, x1, y1] in pixels, exclusive ends, 1 <= k <= 3.
    """
    n, s = imgsz, imgsz / IMGSZ
    fab = _Fabric(rng, n, s)
    clean = fab.shade()
    img = clean.copy()
    k = rng.choice((1, 2, 3), p=(0.55, 0.3, 0.15))
    boxes = []
    for j in range(k):
        cls = primary if j == 0 or rng.random() < 0.8 else int(rng.integers(len(CLASSES)))
        lo, hi = SIZES[cls]
        h, w = (min(n, max(6, int(rng.uniform(lo, hi) * s))) for _ in range(2))
        for _ in range(60 if j == 0 else 20):  # the primary class must find a place
            y, x = int(rng.integers(0, n - h + 1)), int(rng.integers(0, n - w + 1))
            faint = not easy and rng.random() < 0.25
            win = np.s_[y : y + h, x : x + w]
            delta = DRAWERS[cls](rng, fab, clean, win, s, faint) - clean[win]
            ys, xs = np.nonzero(np.abs(delta) >= BOX_LEVEL * np.abs(delta).max())
            if abs(delta[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].mean()) < 0.07 / (1 + faint):
                continue  # the box as a whole hardly darker or lighter: e.g. a weft error where the warp floats over it
            box = (x + xs.min(), y + ys.min(), x + xs.max() + 1, y + ys.max() + 1)
            if all(overlap(box, b[1:]) < 0.3 for b in boxes):
                break
        else:
            continue  # no room left: fewer defects in this image
        if defects:
            img[win] += delta
        boxes.append((cls, *box))
    if not easy:
        _distractors(rng, fab, clean, img, s)
    base, contrast = rng.uniform(20, 90), rng.uniform(90, 170)
    dye = 1 + 0.04 * noise(rng, n, n, 30 * s)
    img = camera.finish(rng, (base + contrast * img) * dye, s, easy)
    b = np.array(boxes, F32).reshape(-1, 5)
    widen(b, MIN_BOX, n)
    return img, b
