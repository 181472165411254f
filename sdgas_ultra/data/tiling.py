# sdgas-ultra, AGPL-3.0
"""Large images with tiny defects (PKU-Market-PCB: ~2777x2138 px): overlapping tiles for training and prediction.

`sdgas tile DATA.yaml OUT` cuts every image of a YOLO dataset into size x size tiles that overlap by at least
`overlap` (tiles are spread evenly, the last one flush with the image edge; an image side shorter than `size` gives
one shorter tile). Boxes are clipped to each tile; a clipped remnant is kept only if it shows at least `min_visible`
of the box's area and is at least `min_px` wide and high. A box no larger than the overlap band therefore always lies
whole in some tile.

`sdgas predict-tiled MODEL SOURCE` runs a detector on the tiles of each image and merges the detections back into
image coordinates: first a detection cut by an inner tile edge is dropped when a larger detection of its class covers
at least `ios` of it (the same object seen whole in a neighbouring tile), then class-aware NMS
(torchvision.ops.batched_nms) removes duplicates from overlapping tiles. Objects larger than the overlap band are
never seen whole in one tile; `--full` adds a pass over the whole (downscaled) image for them.
"""

from __future__ import annotations

import argparse
import glob
import math
import random
from pathlib import Path

import numpy as np

from .atomic import atomic_dir
from .errors import command
from .stats import load_dataset, read_labels
from .voc import IMG_SUFFIXES, write_data_yaml

EDGE_TOL = 2.0  # px: a detection this close to an inner tile edge counts as cut by it


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


def merge_detections(boxes, scores, classes, truncated, iou=0.5, ios=0.8):
    """Indices of the detections kept after merging tiles (see the module docstring).

    Args:
        boxes: (N, 4) xyxy in image pixels; scores: (N,); classes: (N,) int; truncated: (N,) bool, cut by an inner
            tile edge.
    """
    import torch
    from torchvision.ops import batched_nms

    b = torch.as_tensor(np.asarray(boxes, dtype=np.float32)).reshape(-1, 4)
    s = torch.as_tensor(np.asarray(scores, dtype=np.float32)).reshape(-1)
    c = torch.as_tensor(np.asarray(classes)).reshape(-1).long()
    t = torch.as_tensor(np.asarray(truncated, dtype=bool)).reshape(-1)
    if not len(b):
        return np.zeros(0, dtype=int)
    area = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    lt, rb = torch.maximum(b[:, None, :2], b[None, :, :2]), torch.minimum(b[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(2)
    covered = inter / area[:, None].clamp(min=1e-9) >= ios  # [i, j]: j covers i
    covered &= (c[:, None] == c[None, :]) & (area[None, :] > area[:, None])
    idx = torch.nonzero(~(t & covered.any(1))).flatten()
    keep = batched_nms(b[idx], s[idx], c[idx], iou)
    return idx[keep].numpy()


def predict_image_tiled(image, predict_fn, size=640, overlap=0.2, iou=0.5, ios=0.8, full=False):
    """Detect on the tiles of one image and merge: returns (boxes (N, 4) xyxy px, scores (N,), classes (N,)).

    `predict_fn(list of HxWxC arrays)` returns one (boxes xyxy in tile px, scores, classes) triple per array.
    """
    h, w = image.shape[:2]
    windows = tile_windows(w, h, size, overlap)
    if full and len(windows) > 1:
        windows.append((0, 0, w, h))
    outputs = predict_fn([np.ascontiguousarray(image[y0:y1, x0:x1]) for x0, y0, x1, y1 in windows])
    boxes, scores, classes, cut = [], [], [], []
    for (x0, y0, x1, y1), (b, s, c) in zip(windows, outputs):
        b = np.asarray(b, dtype=float).reshape(-1, 4) + [x0, y0, x0, y0]
        cut.append(((b[:, 0] <= x0 + EDGE_TOL) & (x0 > 0)) | ((b[:, 1] <= y0 + EDGE_TOL) & (y0 > 0))
                   | ((b[:, 2] >= x1 - EDGE_TOL) & (x1 < w)) | ((b[:, 3] >= y1 - EDGE_TOL) & (y1 < h)))
        boxes.append(b)
        scores.append(np.asarray(s, dtype=float).reshape(-1))
        classes.append(np.asarray(c).reshape(-1).astype(int))
    boxes, scores, classes, cut = (np.concatenate(x) for x in (boxes, scores, classes, cut))
    keep = merge_detections(boxes, scores, classes, cut, iou, ios)
    return boxes[keep], scores[keep], classes[keep]


def yolo_predict_fn(model, imgsz, conf=0.25, iou=0.5, device=None, batch=8):
    """A predict_fn for `predict_image_tiled` that runs an ultralytics YOLO model in batches of tiles."""

    def predict(crops):
        out = []
        for i in range(0, len(crops), batch):
            for r in model.predict(crops[i : i + batch], imgsz=imgsz, conf=conf, iou=iou, device=device,
                                   verbose=False):
                out.append((r.boxes.xyxy.cpu().numpy(), r.boxes.conf.cpu().numpy(), r.boxes.cls.cpu().numpy()))
        return out

    return predict


def list_sources(source):
    """Image files named by SOURCE: a file, a folder (its images, sorted) or a glob pattern."""
    p = Path(source)
    if p.is_file():
        return [p]
    files = sorted(p.iterdir()) if p.is_dir() else sorted(map(Path, glob.glob(str(source))))
    files = [f for f in files if f.suffix.lower() in IMG_SUFFIXES]
    if not files:
        raise FileNotFoundError(f"no images found at '{source}'")
    return files


def predict_tiled(model, source, size=640, overlap=0.2, conf=0.25, iou=0.5, ios=0.8, imgsz=None, device=None,
                  full=False, save_txt=True, save_img=False, project=None, name="predict-tiled", exist_ok=False,
                  verbose=True):
    """Tiled prediction over SOURCE with a YOLO model (or weights/YAML path); returns (list of Results, save_dir).

    Results go to <project>/<name> (default runs/detect/predict-tiled, incremented like ultralytics' runs):
    labels/<stem>.txt in YOLO format with confidence (as `yolo predict save_txt save_conf`) and, with `save_img`,
    the annotated images.
    """
    import cv2
    import torch
    from ultralytics import YOLO
    from ultralytics.engine.results import Results
    from ultralytics.utils import SETTINGS
    from ultralytics.utils.files import increment_path

    files = list_sources(source)  # before loading the model: a wrong SOURCE fails at once
    model = YOLO(model) if isinstance(model, (str, Path)) else model
    fn = yolo_predict_fn(model, imgsz or size, conf, iou, device)
    project = Path(project) if project else Path(SETTINGS["runs_dir"]) / "detect"
    save_dir = increment_path(project / name, exist_ok=exist_ok)
    save_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for file in files:
        img = cv2.imread(str(file))
        if img is None:
            raise ValueError(f"cannot read image {file}")
        b, s, c = predict_image_tiled(img, fn, size, overlap, iou, ios, full)
        data = torch.as_tensor(np.concatenate([b, s[:, None], c[:, None]], 1), dtype=torch.float32).reshape(-1, 6)
        r = Results(img, path=str(file), names=model.names, boxes=data)
        if save_txt:
            r.save_txt(save_dir / "labels" / f"{file.stem}.txt", save_conf=True)
        if save_img:
            r.save(filename=str(save_dir / file.name))
        if verbose:
            h, w = img.shape[:2]
            found = ", ".join(f"{n} {model.names[k]}" for k, n in zip(*np.unique(c, return_counts=True)))
            print(f"{file}: {w}x{h}, {len(tile_windows(w, h, size, overlap))} tiles, {found or 'no detections'}")
        results.append(r)
    if verbose:
        print(f"results saved to {save_dir}")
    return results, save_dir


@command("sdgas tile")
def _run_tile(args):
    tile_dataset(args.data, args.out, args.size, args.overlap, args.min_visible, args.min_px, args.keep_empty,
                 args.seed, args.overwrite)
    return 0


@command("sdgas predict-tiled")
def _run_predict(args):
    predict_tiled(args.model, args.source, args.size, args.overlap, args.conf, args.iou, args.ios, args.imgsz,
                  args.device, args.full, save_img=args.save_img, project=args.project, name=args.name)
    return 0


def _tiling_args(p):
    p.add_argument("--size", type=_positive_int, default=640, help="tile side in pixels")
    p.add_argument("--overlap", type=_overlap, default=0.2, help="minimum overlap of neighbouring tiles, fraction")


def add_tile_parser(sub):
    """Register `sdgas tile DATA.yaml OUT --size 640 --overlap 0.2`."""
    p = sub.add_parser("tile", help="cut a YOLO dataset's images and labels into overlapping tiles",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description=__doc__.split("\n\n")[1])
    p.add_argument("data", help="dataset YAML: a path, or a name shipped with the plugin (pcb.yaml)")
    p.add_argument("out", help="new dataset folder for the tiles")
    _tiling_args(p)
    p.add_argument("--min-visible", type=float, default=0.25, help="drop clipped boxes showing less of their area")
    p.add_argument("--min-px", type=float, default=2.0, help="drop clipped boxes narrower or lower than this")
    p.add_argument("--keep-empty", type=float, default=1.0, help="fraction of tiles without boxes to keep")
    p.add_argument("--seed", type=int, default=0, help="seed for --keep-empty")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.set_defaults(func=_run_tile)


def add_predict_parser(sub):
    """Register `sdgas predict-tiled MODEL SOURCE --size 640 --overlap 0.2`."""
    p = sub.add_parser("predict-tiled", help="detect on overlapping tiles and merge into full-image boxes",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                       description=__doc__.split("\n\n")[2])
    p.add_argument("model", help="weights (best.pt) or model YAML")
    p.add_argument("source", help="image, folder of images, or glob")
    _tiling_args(p)
    p.add_argument("--imgsz", type=int, help="inference size of each tile (default: --size)")
    p.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    p.add_argument("--iou", type=float, default=0.5, help="NMS IoU threshold, within tiles and across them")
    p.add_argument("--ios", type=float, default=0.8, help="share of a cut detection covered to drop it")
    p.add_argument("--device", help="cuda device, e.g. 0, or cpu")
    p.add_argument("--full", action="store_true", help="also predict on the whole image (for large objects)")
    p.add_argument("--save-img", action="store_true", help="save annotated images")
    p.add_argument("--project", help="parent folder of the run (default: runs/detect)")
    p.add_argument("--name", default="predict-tiled", help="run folder name (incremented if it exists)")
    p.set_defaults(func=_run_predict)
