# sdgas-ultra, AGPL-3.0
"""Large images with tiny defects (PKU-Market-PCB: ~2777x2138 px): overlapping tiles for training.

`sdgas tile DATA.yaml OUT` cuts every image of a YOLO dataset into size x size tiles that overlap by at least
`overlap` (tiles are spread evenly, the last one flush with the image edge; an image side shorter than `size` gives
one shorter tile). Boxes are clipped to each tile; a clipped remnant is kept only if it shows at least `min_visible`
of the box's area and is at least `min_px` wide and high. A box no larger than the overlap band therefore always lies
whole in some tile.

Prediction on such tiles, merged back into whole images, is `sdgas predict-tiled` (sdgas_ultra/tiled.py).
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

import numpy as np

from .atomic import atomic_dir
from .commands import add_command
from .errors import command
from .stats import load_dataset, read_labels
from .voc import write_data_yaml


def tile_starts(length, size, overlap):
    """Start offsets of tiles along one side: first at 0, last flush with the end, overlap >= `overlap` * size."""
    if not 0 <= overlap < 1:
        raise ValueError(f"overlap must be in [0, 1), got {overlap}")
    if length <= size:
        return [0]
    n = math.ceil((length - size) / (size * (1 - overlap))) + 1
    return [round(i * (length - size) / (n - 1)) for i in range(n)]


def tile_windows(w, h, size, overlap):
    """Tile windows (x0, y0, x1, y1) covering a w x h image, row by row."""
    return [(x, y, min(x + size, w), min(y + size, h))
            for y in tile_starts(h, size, overlap) for x in tile_starts(w, size, overlap)]


def clip_to_window(boxes, window, min_visible=0.25, min_px=2.0):
    """Clip (N, 4) image-pixel xyxy boxes to a window; return (boxes in window pixels, indices of kept boxes).

    A box wholly inside is always kept; a clipped one only if its visible part has at least `min_visible` of its
    area and is at least `min_px` wide and high.
    """
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    x0, y0, x1, y1 = window
    c = boxes.copy()
    c[:, [0, 2]] = c[:, [0, 2]].clip(x0, x1)
    c[:, [1, 3]] = c[:, [1, 3]].clip(y0, y1)
    cw, ch = c[:, 2] - c[:, 0], c[:, 3] - c[:, 1]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    whole = (c == boxes).all(1) & (area > 0)
    visible = np.divide(cw * ch, area, out=np.zeros_like(area), where=area > 0)
    keep = whole | ((cw > 0) & (ch > 0) & (visible >= min_visible) & (cw >= min_px) & (ch >= min_px))
    idx = np.nonzero(keep)[0]
    return c[idx] - np.array([x0, y0, x0, y0], dtype=float), idx


def tile_dataset(data, out, size=640, overlap=0.2, min_visible=0.25, min_px=2.0, keep_empty=1.0, seed=0,
                 overwrite=False, verbose=True):
    """Write a tiled copy of a YOLO dataset to `out` (images/, labels/, data.yaml); return a dict of counts.

    Tiles are named <stem>__<x0>_<y0><suffix>. `keep_empty` is the fraction of tiles without boxes kept (seeded).
    """
    import cv2
    from ultralytics.data.utils import img2label_paths
    from ultralytics.utils import TQDM
    from ultralytics.utils.ops import xywhn2xyxy, xyxy2xywhn

    ds = load_dataset(data)
    rng = random.Random(seed)
    n = dict(images=0, tiles=0, empty_dropped=0, boxes=0, tile_boxes=0, remnants_dropped=0, never_whole=0)
    with atomic_dir(out, replace=overwrite) as tmp:
        for split, images in ds["splits"].items():
            (tmp / "images" / split).mkdir(parents=True)
            (tmp / "labels" / split).mkdir(parents=True)
            bar = TQDM(images, desc=f"tiling {split}", disable=not verbose)
            for file, label_file in zip(bar, img2label_paths(images)):
                img = cv2.imread(str(file), cv2.IMREAD_UNCHANGED)
                if img is None:
                    raise ValueError(f"cannot read image {file}")
                h, w = img.shape[:2]
                labels = read_labels(label_file)
                boxes, cls = xywhn2xyxy(labels[:, 1:], w, h), labels[:, 0].astype(int)
                whole = np.zeros(len(boxes), bool)
                n["images"] += 1
                n["boxes"] += len(boxes)
                for win in tile_windows(w, h, size, overlap):
                    tb, idx = clip_to_window(boxes, win, min_visible, min_px)
                    whole[clip_to_window(boxes, win, 1.0, 0)[1]] = True
                    x0, y0, x1, y1 = win
                    hit = (boxes[:, 2] > x0) & (boxes[:, 0] < x1) & (boxes[:, 3] > y0) & (boxes[:, 1] < y1)
                    n["remnants_dropped"] += int(hit.sum()) - len(idx)
                    if not len(idx) and rng.random() >= keep_empty:
                        n["empty_dropped"] += 1
                        continue
                    name = f"{file.stem}__{x0}_{y0}"
                    cv2.imwrite(str(tmp / "images" / split / f"{name}{file.suffix}"), img[y0:y1, x0:x1])
                    rows = zip(cls[idx], xyxy2xywhn(tb, x1 - x0, y1 - y0).tolist())
                    (tmp / "labels" / split / f"{name}.txt").write_text(
                        "".join(f"{c} " + " ".join(f"{v:.6f}" for v in r) + "\n" for c, r in rows))
                    n["tiles"] += 1
                    n["tile_boxes"] += len(idx)
                n["never_whole"] += int((~whole).sum())
        write_data_yaml(tmp, ds["names"], set(ds["splits"]),
                        f"tiled by `sdgas tile` from {ds['file']} (size {size}, overlap {overlap})",
                        kept_keys(ds["file"]))
    if verbose:
        print(", ".join(f"{k} {v}" for k, v in n.items()) + f"\ntiled dataset written to {Path(out).resolve()}")
    return n


def kept_keys(data_yaml):
    """The keys of a dataset YAML that a tiled copy keeps as they are (channels, ...): all but the ones it rewrites
    (path, splits, names, nc) and `download` (which fetches the source dataset, not the tiles)."""
    import yaml

    cfg = yaml.safe_load(Path(data_yaml).read_text()) or {}
    rewritten = {"path", "train", "val", "test", "minival", "names", "nc", "download"}
    return {k: v for k, v in cfg.items() if k not in rewritten}


def _positive_int(text):
    """argparse type: an int > 0."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of pixels, got {text}")
    return value


def _overlap(text):
    """argparse type: a fraction in [0, 1)."""
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1), got {text}")
    return value


def add_tiling_command(sub, name, run, doc, help):
    """`add_command` with the tile grid's options --size and --overlap (`sdgas tile` and `sdgas predict-tiled`)."""
    p = add_command(sub, name, run, doc, help)
    p.add_argument("--size", type=_positive_int, default=640, help="tile side in pixels")
    p.add_argument("--overlap", type=_overlap, default=0.2, help="minimum overlap of neighbouring tiles, fraction")
    return p


def add_parser(sub):
    """Register `sdgas tile DATA.yaml OUT --size 640 --overlap 0.2`."""
    p = add_tiling_command(sub, "tile", _run, __doc__, "cut a YOLO dataset's images and labels into overlapping tiles")
    p.add_argument("data", help="dataset YAML: a path, or a name shipped with the plugin (pcb.yaml)")
    p.add_argument("out", help="new dataset folder for the tiles")
    p.add_argument("--min-visible", type=float, default=0.25, help="drop clipped boxes showing less of their area")
    p.add_argument("--min-px", type=float, default=2.0, help="drop clipped boxes narrower or lower than this")
    p.add_argument("--keep-empty", type=float, default=1.0, help="fraction of tiles without boxes to keep")
    p.add_argument("--seed", type=int, default=0, help="seed for --keep-empty")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")


@command("sdgas tile")
def _run(args):
    tile_dataset(args.data, args.out, args.size, args.overlap, args.min_visible, args.min_px, args.keep_empty,
                 args.seed, args.overwrite)
    return 0
