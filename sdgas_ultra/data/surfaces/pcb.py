# sdgas-ultra, AGPL-3.0
"""PCB surface of `synthetic-pcb`: procedural PKU-Market-PCB-like boards with tiny copper defects (6 classes, colour).

It stands in for PKU-Market-PCB where that is not at hand; it is no benchmark. Square BGR images (256 px by default)
of a bare board seen from above, with PKU-Market-PCB's six classes in its order: missing_hole, mouse_bite,
open_circuit, short, spur, spurious_copper. Feature sizes are in pixels and do not scale with imgsz: a larger image
is a larger board with proportionally more traces and defects (imgsz 1024: 16 times the area), the case of
PKU-Market-PCB's ~2777 px photographs, for `sdgas tile`.

How a board is drawn (conductors are first drawn as masks, with an id per net, then coloured):
  bundles         1-6 parallel traces (2-5 px wide, 2.5-5 px apart) along a path of 1-3 straight runs at
                  0/45/90 degrees (turns of 45 or 90 degrees, mitred so the traces stay parallel); each end is a
                  row of through-hole pads with drills (a header, silkscreen outline and designator), of SMD pads
                  (an IC side, outlined), of staggered vias, or runs off the board. A bundle is kept only where it
                  clears everything drawn before by its spacing, so traces never cross
  distractors     unlabelled: stitching vias, fiducials (isolated round exposed pads), mounting holes, silkscreen
                  designators (R12, C3, U7...) and outlines
  colouring       solder mask (green 60%, blue, black or red) with a faint glass-weave texture; copper under the mask
                  a lighter shade, with a one-pixel relief highlight; exposed pads tin or gold; drills dark;
                  silkscreen white or yellow; then camera.finish (lighting, blur, noise, JPEG)
Defects, each relative to the copper (a box is the tight box of the changed copper pixels plus 1 px, at least
MIN_BOX; the missing hole's is its pad's):
  missing_hole    a through-hole pad drawn without its drill
  mouse_bite      1-3 overlapping round bites out of a trace edge, up to 0.8 of its width deep
  open_circuit    a gap of 2-6 px across one trace, cut at a slant
  short           a copper bridge (1 px to 0.8 trace widths) from a trace to its neighbour, at most 12 px long
  spur            a thin tapered protrusion of 3-9 px from a trace edge, clear of other copper
  spurious_copper an isolated irregular blob of 1.5-5 px radius in free board space
Class mix: image i has primary class i % 6; 1-4 defects per 256 x 256 of board (plus about one more per extra
256 x 256), 80% of the primary class, never overlapping (a board too small for its primary class, some below
imgsz 128, gets spurious copper instead). Difficulty: 20% of defects subtle (narrower bites, gaps and
bridges, 1 px spurs, tiny blobs), 20% of boards with low copper/mask contrast. The easy variant drops the subtle
defects, the low-contrast boards and the distractors, and uses a milder camera.
"""

import functools

import cv2
import numpy as np

from . import camera
from ._draw import F32, noise, overlap, widen

NAME = "synthetic-pcb"
TITLE = "procedural PKU-Market-PCB-like copper traces with tiny defects"
CLASSES = ("missing_hole", "mouse_bite", "open_circuit", "short", "spur", "spurious_copper")
CHANNELS = 3
IMGSZ = 256
VERSION = 1
STREAM = (0x706362,)  # "pcb": a seed word of its own, apart from steel and textile
MIN_BOX = 3
UNIT = 256  # px: board area per 1-4 defects and per set of bundles
SHIFT = 2  # cv2 drawing at quarter-pixel precision
DIRS = np.array([(np.cos(a), np.sin(a)) for a in np.arange(8) * np.pi / 4], F32)  # 0, 45, ..., 315 degrees
# (probability, solder mask, copper under the mask) in RGB
MASKS = ((0.6, (30, 100, 45), (95, 165, 70)), (0.15, (25, 50, 110), (60, 110, 170)),
         (0.15, (28, 30, 32), (75, 80, 78)), (0.1, (120, 30, 30), (185, 75, 60)))
FINISHES = ((200, 200, 195), (215, 175, 90))  # exposed pads, RGB: tin, gold
SILK = ((235, 235, 228), (230, 215, 120))  # RGB: white, yellow
CODES = "RCULDQJ"  # designator letters


class _Board:
    """Masks of one n x n board being drawn: conductor ids (0 bare), exposed metal, drills, silkscreen, occupancy."""

    def __init__(self, n):
        self.n = n
        self.tid = np.zeros((n, n), np.uint16)
        self.busy, self.exposed, self.drill, self.silk = (np.zeros((n, n), np.uint8) for _ in range(4))
        self.traces, self.pads = [], []  # (id, (k, 2) xy points, width); (id, centre xy, radius, drill radius)
        self.ids = 0

    def new_id(self):
        self.ids += 1
        return self.ids


# ----------------------------------------------------------------------------------------------- shapes
# A shape is ("line", (k, 2) points, width), ("disc", centre, radius) or ("poly", (k, 2) corners, 0), in xy pixels.
def _paint(canvas, shapes, value, origin=(0, 0), grow=0.0):
    """Draw shapes filled with value on canvas whose pixel (0, 0) is `origin`, every outline grown by `grow` px."""
    for kind, geo, size in shapes:
        p = np.rint((np.asarray(geo, F32).reshape(-1, 2) - origin) * (1 << SHIFT)).astype(np.int32)
        if kind == "line":
            cv2.polylines(canvas, [p[:, None]], False, value, max(1, int(round(size + 2 * grow))), cv2.LINE_8, SHIFT)
        elif kind == "disc":
            cv2.circle(canvas, tuple(p[0].tolist()), int(round((size + grow) * (1 << SHIFT))), value, -1,
                       cv2.LINE_8, SHIFT)
        else:
            cv2.fillPoly(canvas, [p[:, None]], value, cv2.LINE_8, SHIFT)
            if grow:
                cv2.polylines(canvas, [p[:, None]], True, value, max(1, int(round(2 * grow))), cv2.LINE_8, SHIFT)


def _window(shapes, pad, n):
    """Integer window (x0, y0, x1, y1) covering the shapes plus pad px, clipped to the board; None if outside."""
    lo, hi = [], []
    for kind, geo, size in shapes:
        g = np.asarray(geo, F32).reshape(-1, 2)
        r = size / 2 if kind == "line" else size if kind == "disc" else 0
        lo.append(g.min(0) - r)
        hi.append(g.max(0) + r)
    (x0, y0), (x1, y1) = np.floor(np.min(lo, 0) - pad - 1), np.ceil(np.max(hi, 0) + pad + 2)
    x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), n), min(int(y1), n)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _fits(board, shapes, clear):
    """True if the shapes, grown by `clear`, touch nothing drawn and show on the board."""
    win = _window(shapes, clear, board.n)
    if win is None:
        return False
    x0, y0, x1, y1 = win
    scratch = np.zeros((y1 - y0, x1 - x0), np.uint8)
    _paint(scratch, shapes, 1, (x0, y0), clear)
    return scratch.any() and not (scratch & board.busy[y0:y1, x0:x1]).any()


def _rect(c, d, length, breadth):
    """Corners (4, 2) of a rectangle centred at c, `length` along unit d and `breadth` across."""
    e = np.array([-d[1], d[0]], F32)
    return np.array([c + sx * d * length / 2 + sy * e * breadth / 2 for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))])


# ----------------------------------------------------------------------------------------------- board
def _offset(path, off):
    """Path (k, 2) offset sideways by off px, mitred at the corners so offset copies stay parallel."""
    d = np.diff(path, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    nrm = np.stack([-d[:, 1], d[:, 0]], 1)
    miter = np.concatenate([nrm[:1], (nrm[:-1] + nrm[1:]) / (1 + (nrm[:-1] * nrm[1:]).sum(1, keepdims=True)), nrm[-1:]])
    return path + off * miter


def _terminal(rng, kind, w, gap):
    """Pad geometry of one bundle end: (kind, pad radius or SMD length/breadth, drill radius, spacing it needs)."""
    if kind == "tht":
        r = max(rng.uniform(3.0, 5.0), w / 2 + 1.5)
        return r, max(1.0, rng.uniform(0.35, 0.55) * r), 2 * r + gap
    if kind == "smd":
        b = min(rng.uniform(1.3, 2.0) * w, w + 3)
        return (rng.uniform(2.0, 3.5) * w, b), 0.0, b + gap
    if kind == "via":
        r = w / 2 + rng.uniform(1.0, 2.0)
        return r, max(0.8, 0.45 * r), 2 * r + gap
    return 0.0, 0.0, 0.0


def _end_shapes(kind, p, d, size, drill):
    """Shapes of a terminal at p, its trace arriving along d: pads (conductor) and drills."""
    if kind == "smd":
        return [("poly", _rect(p + d * size[0] * 0.3, d, *size), 0)], []
    if kind in ("tht", "via"):
        return [("disc", p, size)], [("disc", p, drill)]
    return [], []


def _bundle(rng, board, easy, m=None, tht=False):
    """Try to add one bundle of parallel traces with its terminals (tht: starting at through-hole pads); True if it
    fitted."""
    n = board.n
    m = m or int(rng.choice((1, 2, 3, 4, 6), p=(0.3, 0.25, 0.2, 0.15, 0.1)))
    w, gap = int(rng.integers(2, 6)), rng.uniform(2.5, 5.0)
    ends = rng.choice(("edge", "tht", "smd", "via"), 2, p=(0.25, 0.3, 0.25, 0.2))
    ends[0] = "tht" if tht else ends[0]
    terms = [(kind, *_terminal(rng, kind, w, gap)) for kind in ends]
    pitch = max(w + gap, terms[0][3])  # the start row sets the pitch; the end staggers pads that do not fit
    k = int(rng.choice(8, p=np.where(np.arange(8) % 2, 0.3, 0.7) / 4))
    path = [rng.uniform(-0.05, 1.05, 2).astype(F32) * n]
    for _ in range(int(rng.integers(1, 4))):
        path.append(path[-1] + DIRS[k] * rng.uniform(12, 120))
        k = (k + int(rng.choice((-2, -1, 0, 1, 2), p=(0.12, 0.3, 0.16, 0.3, 0.12)))) % 8
    path = np.array(path, F32)
    if ends[0] == "edge":
        path[0] -= (path[1] - path[0]) / np.linalg.norm(path[1] - path[0]) * n
    if ends[1] == "edge":
        path[-1] += (path[-1] - path[-2]) / np.linalg.norm(path[-1] - path[-2]) * n
    traces, pads, drills, tht = [], [], [], []
    for j in range(m):
        pts = _offset(path, (j - (m - 1) / 2) * pitch)
        for end, (kind, size, drill, need) in zip((0, -1), terms):
            d = pts[end] - pts[end + 1 if end == 0 else end - 1]
            d /= np.linalg.norm(d)
            if end == -1 and need > pitch and j % 2:  # stagger: every other trace runs one pad further
                pts = np.concatenate([pts, pts[-1:] + d * (need + 1)])
            p = pts[end]
            conductor, holes = _end_shapes(kind, p, d, size, drill)
            pads += conductor
            drills += holes
            if kind == "tht":
                tht.append((j, p, size, drill))
        traces.append(pts)
    shapes = [("line", t, w) for t in traces] + pads
    win = _window(shapes, 0, n)
    if win is None or not _fits(board, shapes, gap):
        return False
    ids = [board.new_id() for _ in traces]
    for i, t in zip(ids, traces):
        board.traces.append((i, t, w))
        _paint(board.tid, [("line", t, w)], i)
    for shape, i in zip(pads, np.repeat(ids, len(pads) // m)):
        _paint(board.tid, [shape], int(i))
        _paint(board.exposed, [shape], 1)
    _paint(board.drill, drills, 1)
    board.pads += [(ids[j], p, r, rh) for j, p, r, rh in tht]
    x0, y0, x1, y1 = win
    board.busy[y0:y1, x0:x1] |= (board.tid[y0:y1, x0:x1] > 0).astype(np.uint8)
    if ends[0] == "tht" or ends[0] == "smd" and m > 1:  # a header, or an IC's side
        _outline(rng, board, traces, terms[0], pitch, easy)
    return True


def _outline(rng, board, traces, term, pitch, easy):
    """Silkscreen outline around a bundle's start row of pads, and a designator beside it."""
    kind, size = term[0], term[1]
    d = traces[0][0] - traces[0][1]
    d /= np.linalg.norm(d)
    c = np.mean([t[0] for t in traces], 0)
    reach = (size if kind == "tht" else size[0]) + 3
    across = (len(traces) - 1) * pitch + 2 * reach
    corners = _rect(c + d * 0.3 * reach, d, 2 * reach, across)
    _paint(board.silk, [("line", np.concatenate([corners, corners[:1]]), 1)], 1)
    _paint(board.busy, [("line", np.concatenate([corners, corners[:1]]), 1)], 1)
    if not easy:
        _designator(rng, board, corners.max(0) + 3)


def _designator(rng, board, xy):
    """A silkscreen designator (R12, C3, ...) with its lower-left corner at xy, if it fits there."""
    text = f"{rng.choice(list(CODES))}{rng.integers(1, 40)}"
    scale = rng.uniform(0.55, 0.8)
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_PLAIN, scale, 1)
    x, y = int(xy[0]), int(xy[1])
    if x < 0 or y - th < 0 or x + tw > board.n or y + 2 > board.n or board.busy[y - th - 1 : y + 3, x : x + tw].any():
        return
    for mask in (board.silk, board.busy):
        cv2.putText(mask, text, (x, y), cv2.FONT_HERSHEY_PLAIN, scale, 1, 1, cv2.LINE_8)


def _distractors(rng, board, area):
    """Stitching vias, fiducials, mounting holes and stray designators (unlabelled), where they fit."""
    n = board.n
    for _ in range(rng.poisson(6 * area)):
        c, kind = rng.uniform(6, n - 6, 2).astype(F32), rng.choice(("via", "fiducial", "mount", "text"),
                                                                    p=(0.5, 0.2, 0.1, 0.2))
        if kind == "text":
            _designator(rng, board, c)
            continue
        r = {"via": rng.uniform(2.5, 3.5), "fiducial": rng.uniform(2.0, 3.5), "mount": rng.uniform(7, 11)}[kind]
        disc = [("disc", c, r)]
        if not _fits(board, disc, 4 if kind == "fiducial" else 2):
            continue
        _paint(board.exposed, disc, 1)
        if kind != "fiducial":
            _paint(board.tid, disc, board.new_id())
            _paint(board.drill, [("disc", c, r * (0.45 if kind == "via" else 0.7))], 1)
        _paint(board.busy, [("disc", c, r + (4 if kind == "fiducial" else 0))], 1)


def _layout(rng, n, easy):
    """A board: bundles first (the first with >= 2 traces and one with through-hole pads), then distractors."""
    board, area = _Board(n), (n / UNIT) ** 2
    for _ in range(40):  # a bus for shorts, and through-hole pads for missing holes, whatever else fits
        if _bundle(rng, board, easy, m=int(rng.integers(2, 5)), tht=True):
            break
    for _ in range(int(rng.uniform(50, 90) * area)):
        _bundle(rng, board, easy)
    if not easy:
        _distractors(rng, board, area)
    return board


# ----------------------------------------------------------------------------------------------- defects
# Each takes (rng, board, subtle) and returns a plan (x0, y0, added (h, w) bool, removed (h, w) bool, conductor id)
# or None: copper added and removed in the window at (x0, y0) (for a missing hole: the drill left out). It only
# plans: _apply() changes the board's masks.
R = 16  # px: half-size of the window a trace defect is planned in


def _on_trace(rng, board):
    """(trace id, width, point, direction, normal, window origin, tid window, yy, xx) at a random point of a random
    trace, away from its ends and the board edge; None if that point is unsuitable."""
    if not board.traces:
        return None
    i, pts, w = board.traces[rng.integers(len(board.traces))]
    seg = np.diff(pts, axis=0)
    length = np.maximum(np.linalg.norm(seg, axis=1), 1e-3)
    margin = 2 * w + 6  # clear of the pads at its ends
    cum = np.concatenate([[0], np.cumsum(length)])
    t = np.arange(margin, cum[-1] - margin, 1.0, dtype=F32)  # candidate points 1 px apart, those on the board
    k = np.clip(np.searchsorted(cum, t, side="right") - 1, 0, len(seg) - 1)
    on = pts[k] + seg[k] / length[k, None] * (t - cum[k])[:, None]
    inside = np.nonzero(((on >= 2) & (on < board.n - 2)).all(1))[0]
    if not len(inside):
        return None
    j = rng.choice(inside)
    p, d = on[j], seg[k[j]] / length[k[j]]
    (x0, y0), (x1, y1) = np.maximum(p.astype(int) - R, 0), np.minimum(p.astype(int) + R, board.n)
    tid = board.tid[y0:y1, x0:x1]
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(F32) + 0.5
    near = np.s_[max(int(p[1]) - 8, 0) : int(p[1]) + 8, max(int(p[0]) - 8, 0) : int(p[0]) + 8]
    if board.tid[int(p[1]), int(p[0])] != i or board.silk[near].any():  # not under silkscreen
        return None
    return i, w, p, d, np.array([-d[1], d[0]], F32), (x0, y0), tid, yy, xx


def _on_a_trace(plan):
    """A planner (rng, board, subtle) from `plan(rng, spot, subtle)`, spot a random point of a trace (_on_trace)."""

    def planner(rng, board, subtle):
        spot = _on_trace(rng, board)
        return None if spot is None else plan(rng, spot, subtle)

    return functools.wraps(plan)(planner)


@_on_a_trace
def _mouse_bite(rng, spot, subtle):
    i, w, p, d, nrm, (x0, y0), tid, yy, xx = spot
    k = 1 if subtle else int(rng.integers(1, 4))
    r = max(1.0, rng.uniform(0.3, 0.45) * w) if subtle else max(1.2, rng.uniform(0.45, 0.8) * w)
    side = rng.choice((-1, 1))
    along = (np.arange(k) - (k - 1) / 2)[:, None] * r * rng.uniform(1.0, 1.6)  # scallops side by side
    centres = p + side * nrm * (w / 2 + r * rng.uniform(-0.1, 0.3)) + d[None] * along
    bite = np.zeros(tid.shape, bool)
    for cx, cy in centres:
        bite |= (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    return x0, y0, np.zeros_like(bite), bite & (tid == i), i


@_on_a_trace
def _open_circuit(rng, spot, subtle):
    i, w, p, d, nrm, (x0, y0), tid, yy, xx = spot
    gap = rng.uniform(1.2, 2.0) if subtle else rng.uniform(2.0, 6.0)
    along, across = (xx - p[0]) * d[0] + (yy - p[1]) * d[1], (xx - p[0]) * nrm[0] + (yy - p[1]) * nrm[1]
    cut = (np.abs(along - rng.uniform(-0.5, 0.5) * across) <= gap / 2) & (np.abs(across) <= w)
    return x0, y0, np.zeros_like(cut), cut & (tid == i), i


@_on_a_trace
def _short(rng, spot, subtle):
    i, w, p, d, nrm, (x0, y0), tid, yy, xx = spot
    side = rng.choice((-1, 1))
    for s in np.arange(w / 2 + 1, w / 2 + 13, 0.5):  # walk sideways to the next conductor
        q = np.floor(p + side * nrm * s).astype(int) - (x0, y0)
        if not (0 <= q).all() or not (q < tid.shape[::-1]).all():
            return None
        if tid[q[1], q[0]] not in (0, i):
            break
    else:
        return None
    bw = 1.0 if subtle else rng.uniform(1.0, max(1.5, 0.8 * w))
    a, b = p + side * nrm * (w / 2 - 1), p + side * nrm * (s + 1) + d * rng.uniform(-2, 2)
    bridge = np.zeros(tid.shape, np.uint8)
    _paint(bridge, [("line", np.stack([a, b]), bw), ("disc", (a + b) / 2, bw * rng.uniform(0.3, 0.8))], 1, (x0, y0))
    return x0, y0, bridge.astype(bool) & (tid == 0), np.zeros(tid.shape, bool), i


@_on_a_trace
def _spur(rng, spot, subtle):
    i, w, p, d, nrm, (x0, y0), tid, yy, xx = spot
    side, angle = rng.choice((-1, 1)), rng.uniform(-0.8, 0.8)
    out = side * (nrm * np.cos(angle) + d * np.sin(angle))
    length, base = (rng.uniform(2, 4), 1.0) if subtle else (rng.uniform(3, 9), rng.uniform(1.5, 3.0))
    root = p + side * nrm * (w / 2 - 1)
    e = np.array([-out[1], out[0]], F32)
    tri = [("poly", np.stack([root - e * base / 2, root + e * base / 2, root + out * (length + 1)]), 0)]
    spur, near = np.zeros(tid.shape, np.uint8), np.zeros(tid.shape, np.uint8)
    _paint(spur, tri, 1, (x0, y0))
    _paint(near, tri, 1, (x0, y0), 2.5)
    if (near.astype(bool) & (tid != 0) & (tid != i)).any():  # would touch other copper: a short, not a spur
        return None
    return x0, y0, spur.astype(bool) & (tid == 0), np.zeros(tid.shape, bool), i


def _spurious_copper(rng, board, subtle):
    c = rng.uniform(6, board.n - 6, 2).astype(F32)
    r = rng.uniform(1.0, 2.0) if subtle else rng.uniform(1.5, 5.0)
    a = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(6, 11))))
    blob = [("poly", c + np.stack([np.cos(a), np.sin(a)], 1) * r * rng.uniform(0.5, 1.2, (len(a), 1)), 0)]
    if not _fits(board, blob, 3):
        return None
    x0, y0, x1, y1 = _window(blob, 0, board.n)
    added = np.zeros((y1 - y0, x1 - x0), np.uint8)
    _paint(added, blob, 1, (x0, y0))
    return x0, y0, added.astype(bool), np.zeros(added.shape, bool), board.new_id()


def _missing_hole(rng, board, subtle):
    if not board.pads:
        return None
    i, c, r, rh = board.pads.pop(rng.integers(len(board.pads)))  # popped: one defect per pad
    if not (rh + 1 <= c).all() or not (c <= board.n - rh - 1).all():  # the drill must be on the board
        return None
    (x0, y0), (x1, y1) = np.maximum(np.floor(c - r), 0).astype(int), np.minimum(np.ceil(c + r) + 1, board.n).astype(int)
    hole = np.zeros((y1 - y0, x1 - x0), np.uint8)
    _paint(hole, [("disc", c, rh)], 1, (x0, y0))
    return x0, y0, hole.astype(bool), np.zeros(hole.shape, bool), i  # "added": copper where the drill was


PLANNERS = (_missing_hole, _mouse_bite, _open_circuit, _short, _spur, _spurious_copper)


def _apply(board, cls, plan):
    """Change the board's masks by a planned defect."""
    x0, y0, added, removed, i = plan
    h, w = added.shape
    win = np.s_[y0 : y0 + h, x0 : x0 + w]
    if cls == 0:
        board.drill[win][added] = 0
    else:
        board.tid[win][added] = i
        board.tid[win][removed] = 0


def _box(cls, plan):
    """Box (x0, y0, x1, y1) of a planned defect: its changed pixels plus 1 px; a missing hole's: its pad's."""
    x0, y0, added, removed, _ = plan
    if cls == 0:
        return x0, y0, x0 + added.shape[1], y0 + added.shape[0]
    ys, xs = np.nonzero(added | removed)
    return x0 + xs.min() - 1, y0 + ys.min() - 1, x0 + xs.max() + 2, y0 + ys.max() + 2


# ----------------------------------------------------------------------------------------------- colour
def _palette(rng, easy):
    """BGR float32 colours: mask, copper under the mask, exposed finish, silkscreen, drill; per-board jitter."""
    p = np.array([m[0] for m in MASKS])
    _, mask, copper = MASKS[rng.choice(len(MASKS), p=p / p.sum())]
    jitter = rng.uniform(0.85, 1.15, 3)
    mask, copper = np.array(mask[::-1], F32) * jitter, np.array(copper[::-1], F32) * jitter
    contrast = rng.uniform(0.3, 0.5) if not easy and rng.random() < 0.2 else rng.uniform(0.65, 1.1)
    copper = mask + contrast * (copper - mask)
    finish = np.array(FINISHES[rng.integers(len(FINISHES))][::-1], F32) * rng.uniform(0.85, 1.05)
    silk = np.array(SILK[rng.integers(len(SILK))][::-1], F32) * rng.uniform(0.9, 1.0)
    return mask, copper, finish, silk, np.array([rng.uniform(10, 40)] * 3, F32)


def _colour(rng, board, copper_mask, drill, easy):
    """(n, n, 3) float32 BGR image of the board's masks, before the camera."""
    n = board.n
    mask, copper, finish, silk, hole = _palette(rng, easy)
    cells = max(2, n // 24)  # mottling of about 24 px, cheap at any size
    mottle = cv2.resize(rng.standard_normal((cells, cells), dtype=F32), (n, n), interpolation=cv2.INTER_CUBIC)
    weave = 1 + 0.03 * noise(rng, n, n, 1.2) + 0.02 * mottle
    img = mask * weave[..., None]
    cu = cv2.GaussianBlur(copper_mask.astype(F32), (0, 0), 0.6)
    relief = np.zeros_like(cu)
    relief[1:, 1:] = cu[1:, 1:] - cu[:-1, :-1]  # lit from the top left: bright upper-left edges
    img = img * (1 - cu[..., None]) + copper * cu[..., None] + rng.uniform(10, 30) * relief[..., None]
    ex = cv2.GaussianBlur(((board.exposed > 0) & (drill == 0)).astype(F32), (0, 0), 0.5)[..., None]
    img = img * (1 - ex) + finish * (1 + 0.05 * noise(rng, n, n, 1.0)[..., None]) * ex
    dr = cv2.GaussianBlur(drill.astype(F32), (0, 0), 0.6)[..., None]
    img = img * (1 - dr) + hole * dr
    sk = (board.silk > 0) & (board.exposed == 0)
    sk = cv2.GaussianBlur(sk.astype(F32), (0, 0), 0.5)[..., None] * rng.uniform(0.75, 0.95)
    return img * (1 - sk) + silk * sk


def render(rng, primary, imgsz=IMGSZ, easy=False, *, defects=True):
    """Draw one board with `primary` as its main class (easy: no subtle defects, distractors or faint boards).

    defects=False draws the same board without the defects (same random draws, same boxes): for tests.

    Returns:
        img (np.ndarray): (imgsz, imgsz, 3) uint8 BGR image.
        boxes (np.ndarray): (k, 5) float32 rows [cls, x0, y0, x1, y1] in pixels, exclusive ends, k >= 1.
    """
    n = imgsz
    board = _layout(rng, n, easy)
    clean_copper, clean_drill = board.tid > 0, board.drill.copy()
    area = (n / UNIT) ** 2
    k = int(rng.choice((1, 2, 3, 4), p=(0.4, 0.3, 0.2, 0.1))) + (rng.poisson(area - 1) if area > 1 else 0)
    boxes = []
    for j in range(k + 1):
        if j == k and boxes:
            break
        # the primary class first; the extra round (j == k) only if it found no place: a board too small for it
        # (some at imgsz < 128) gets spurious copper instead
        cls = primary if j == 0 else 5 if j == k else primary if rng.random() < 0.8 else int(rng.integers(6))
        for _ in range(60 if j in (0, k) else 15):
            plan = PLANNERS[cls](rng, board, not easy and rng.random() < 0.2)
            if plan is None or not (plan[2] | plan[3]).any():
                continue
            box = _box(cls, plan)
            if all(overlap(box, b[1:]) == 0 for b in boxes):
                _apply(board, cls, plan)
                boxes.append((cls, *box))
                break
    copper, drill = (board.tid > 0, board.drill) if defects else (clean_copper, clean_drill)
    img = camera.finish(rng, _colour(rng, board, copper, drill, easy), 1.0, easy)
    b = np.array(boxes, F32).reshape(-1, 5)
    b[:, 1:] = b[:, 1:].clip(0, n)
    widen(b, MIN_BOX, n)
    return img, b
