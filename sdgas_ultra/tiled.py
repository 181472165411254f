# sdgas-ultra, AGPL-3.0
"""Tiled prediction: a detector run on overlapping tiles of large images, its boxes merged back into each image.

`sdgas predict-tiled MODEL SOURCE` runs a detector on the tiles of each image and merges the detections back into
image coordinates: first a detection cut by an inner tile edge is dropped when a larger detection of its class covers
at least `ios` of it (the same object seen whole in a neighbouring tile), then class-aware NMS
(torchvision.ops.batched_nms) removes duplicates from overlapping tiles. Objects larger than the overlap band are
never seen whole in one tile; `--full` adds a pass over the whole (downscaled) image for them.

The tile grid is the one `sdgas tile` cuts for training (sdgas_ultra/data/tiling.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .data.errors import command
from .data.stats import list_sources
from .data.tiling import add_tiling_command, tile_windows

EDGE_TOL = 2.0  # px: a detection this close to an inner tile edge counts as cut by it


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


def add_parser(sub):
    """Register `sdgas predict-tiled MODEL SOURCE --size 640 --overlap 0.2`."""
    p = add_tiling_command(sub, "predict-tiled", _run, __doc__,
                           "detect on overlapping tiles and merge into full-image boxes")
    p.add_argument("model", help="weights (best.pt) or model YAML")
    p.add_argument("source", help="image, folder of images, or glob")
    p.add_argument("--imgsz", type=int, help="inference size of each tile (default: --size)")
    p.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    p.add_argument("--iou", type=float, default=0.5, help="NMS IoU threshold, within tiles and across them")
    p.add_argument("--ios", type=float, default=0.8, help="share of a cut detection covered to drop it")
    p.add_argument("--device", help="cuda device, e.g. 0, or cpu")
    p.add_argument("--full", action="store_true", help="also predict on the whole image (for large objects)")
    p.add_argument("--save-img", action="store_true", help="save annotated images")
    p.add_argument("--project", help="parent folder of the run (default: runs/detect)")
    p.add_argument("--name", default="predict-tiled", help="run folder name (incremented if it exists)")


@command("sdgas predict-tiled")
def _run(args):
    predict_tiled(args.model, args.source, args.size, args.overlap, args.conf, args.iou, args.ios, args.imgsz,
                  args.device, args.full, save_img=args.save_img, project=args.project, name=args.name)
    return 0
