# sdgas-ultra, AGPL-3.0
"""`sdgas explain WEIGHTS SOURCE`: why a defect was flagged, as one PNG of panels per image.

Panels: the image with its detections (ultralytics' own plot), FGPEM's high-frequency energy and spatial gate at
FIGA's reference stride, and the gate of each FIGA Allocate (P3, P4, P5), each upsampled to the image as a colour
overlay with a colour bar. With --labels and a YOLO dataset folder (labels/ beside images/), the ground-truth boxes
are drawn too. A model without FGPEM (an ablation step) gets the Allocate panels only, and the command says so.
"""

from pathlib import Path
from typing import NamedTuple

from ..data.errors import command

MISSING = {
    "FGPEM": "no FGPEM in this model (FIGA's fgpem: False): its high-frequency and spatial-gate panels are left out",
    "Allocate": "no FIGA Allocate in this model: the allocation-gate panels are left out",
}


class Explanation(NamedTuple):
    """One explained image: its file, the PNG written, ultralytics' Results and {title: map (H, W) at image size}."""

    file: Path
    png: Path
    result: object
    maps: dict


def _load(weights):
    """YOLO(weights) for an existing file; a file that does not load as a model is the user's error (ValueError)."""
    from ultralytics import YOLO

    if not Path(weights).is_file():
        raise FileNotFoundError(f"weights '{weights}' not found")
    try:
        return YOLO(weights)
    except ImportError:  # an unsupported ultralytics: the plugin's own message
        raise
    except Exception as e:  # unpickling or parsing a file that is no model: torch and ultralytics raise many kinds
        first = (str(e).strip().splitlines() or [""])[0]  # ultralytics' messages run over several lines
        raise ValueError(f"{weights}: cannot load as a model ({type(e).__name__}: {first})") from None


def _recorder(model, name):
    """MapRecorder on `model`'s network (a YOLO); ValueError if it has neither FGPEM nor Allocate."""
    from torch import nn

    from .maps import MapRecorder

    if not isinstance(model.model, nn.Module):
        raise ValueError(f"{name}: not a PyTorch model (.pt or model YAML): nothing to explain")
    rec = MapRecorder(model.model)
    if not rec.fgpem and not rec.allocate:
        raise ValueError(f"{name}: not an SD-GASNet model (no FGPEM, no FIGA Allocate): nothing to explain")
    return rec


def _label_file(image):
    """The YOLO label file of an image: images/ -> labels/ in its path, suffix .txt."""
    from ultralytics.data.utils import img2label_paths

    return Path(img2label_paths([str(image)])[0])


def _check_labels(files):
    """FileNotFoundError unless some image has a labels/ folder beside its images/ folder."""
    if not any(_label_file(f).parent != f.parent and _label_file(f).parent.is_dir() for f in files):
        raise FileNotFoundError(f"--labels: no labels/ folder beside the images/ folder of {files[0]}")


def _ground_truth(image, shape):
    """[(cls, x1, y1, x2, y2)] in pixels of an image of `shape`, from its YOLO label file (none: no boxes)."""
    from ultralytics.utils.ops import xywhn2xyxy

    from ..data.stats import read_labels

    h, w = shape[:2]
    return [(int(r[0]), *xywhn2xyxy(r[None, 1:], w, h)[0]) for r in read_labels(_label_file(image))]


def _to_image(m, input_shape, image_shape):
    """A map (h, w) at some stride of the letterboxed input -> (H0, W0) numpy map on the original image."""
    import torch.nn.functional as F
    from ultralytics.utils.ops import scale_masks

    m = F.interpolate(m[None, None], size=input_shape, mode="bilinear", align_corners=False)
    return scale_masks(m, image_shape[:2])[0, 0].numpy()


def _picture(result, maps, gt):
    """The PNG's pixels (BGR) for one image: detections, ground truth (if any), then each map."""
    import cv2
    import numpy as np
    from ultralytics.utils.plotting import Annotator, colors

    from . import draw

    image = draw.bgr(result.orig_img)  # a grayscale model's images have one channel
    h, w = draw.panel_size(*image.shape[:2])
    boxes = result.boxes.xyxy.cpu().numpy()
    outlines = [boxes, [colors(int(c), True) for c in result.boxes.cls]]
    detections = cv2.resize(draw.bgr(result.plot()), (w, h))
    panels = [draw.titled(detections, "Detections", f"{len(boxes)} (outlined on the maps)", w + draw.BAR_W)]
    if gt is not None:
        ann = Annotator(image.copy(), example=str(result.names))
        for c, *box in gt:
            ann.box_label(box, result.names.get(c, str(c)), color=colors(c, True))
        panels.append(draw.titled(cv2.resize(ann.result(), (w, h)), "Ground truth", "labels/ (white on the maps)",
                                  w + draw.BAR_W))
        outlines = [np.concatenate([boxes, np.array([b[1:] for b in gt]).reshape(-1, 4)]),
                    outlines[1] + [(255, 255, 255)] * len(gt)]
    base = draw.grey(image, (h, w))
    for title, what in maps:
        panel = draw.map_panel(base, maps[(title, what)], *outlines, w / image.shape[1])
        panels.append(draw.titled(panel, title, what))
    return draw.grid(panels)


def _streams(source, files):
    """What to hand `model.predict` for one SOURCE: itself, as `yolo predict` takes it (a folder streams one image at
    a time), or its files for a glob without '*' (e.g. '0000[01].png'), which ultralytics does not take as a glob."""
    return [str(source)] if Path(source).exists() or "*" in str(source) else [str(f) for f in files]


def _save(png, picture):
    """Write `picture` (BGR) to `png` atomically: a reader never sees half a file."""
    import cv2

    from ..data.atomic import atomic_file

    with atomic_file(png) as tmp:
        if not cv2.imwrite(str(tmp), picture):
            raise OSError(f"cannot write {png}")


def explain(model, source, out=None, imgsz=None, conf=0.25, labels=False, device=None, verbose=True):
    """Explain the predictions of `model` (weights path, YAML or a loaded YOLO) on SOURCE; returns [Explanation].

    SOURCE: an image, a folder, a glob, or a list of these. PNGs go to `out`, default runs/detect/explain (then
    explain-2, ... as ultralytics increments its runs). Raises FileNotFoundError for missing weights or an empty SOURCE
    and ValueError for a model with nothing to explain, before anything is written.
    """
    from concurrent.futures import ThreadPoolExecutor

    from ultralytics.utils import SETTINGS
    from ultralytics.utils.files import increment_path

    from ..data.stats import list_sources

    name = model if isinstance(model, (str, Path)) else type(model).__name__
    model = _load(model) if isinstance(model, (str, Path)) else model
    rec = _recorder(model, name)
    files, streams = [], []
    for s in source if isinstance(source, (list, tuple)) else [source]:
        found = list_sources(s)  # an empty SOURCE fails here, before anything is written
        files += found
        streams += _streams(s, found)
    if labels:
        _check_labels(files)
    save_dir = Path(out) if out else increment_path(Path(SETTINGS["runs_dir"]) / "detect" / "explain")
    notes = [MISSING[k] for k, have in (("FGPEM", rec.fgpem), ("Allocate", rec.allocate)) if not have]
    if verbose and notes:
        print("\n".join(notes))
    kwargs = {"conf": conf, "verbose": False, "stream": True, **({"imgsz": imgsz} if imgsz else {})}
    kwargs.update({"device": device} if device else {})
    done, writes, previous = [], [], model.predictor
    model.predictor = None  # a new predictor copies the model with the hooks on; no copy outlives this call
    try:
        # PNG encoding, which releases the GIL, runs in a thread beside the next image's inference
        with rec, ThreadPoolExecutor(1) as pool:
            for result in (r for s in streams for r in model.predict(s, **kwargs)):
                file, shape = Path(result.path), result.orig_img.shape
                maps = {(t, s): _to_image(m, rec.input_shape, shape) for t, s, m in rec.maps()}
                png = save_dir / f"{file.stem}.png"
                gt = _ground_truth(file, shape) if labels else None
                writes.append(pool.submit(_save, png, _picture(result, maps, gt)))
                done.append(Explanation(file, png, result, {t: m for (t, _), m in maps.items()}))
            for w in writes:
                w.result()
    finally:
        model.predictor = previous
    if verbose:
        print(f"{len(done)} explanation{'s' * (len(done) != 1)} saved to {save_dir}")
    return done


@command("sdgas explain")
def _run(args):
    explain(args.weights, args.source, args.out, args.imgsz, args.conf, args.labels, args.device)
    return 0


def add_parser(sub):
    """Register `sdgas explain WEIGHTS SOURCE [--out DIR] [--imgsz N] [--conf X] [--labels]`."""
    p = sub.add_parser("explain", help="heat-maps of FGPEM and FIGA's allocation for each image's detections",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("weights", help="SD-GASNet weights (best.pt)")
    p.add_argument("source", help="image, folder of images, or glob")
    p.add_argument("--out", help="folder for the PNGs (default: runs/detect/explain, then explain-2, ...)")
    p.add_argument("--imgsz", type=int, help="inference size (default: the model's training size)")
    p.add_argument("--conf", type=float, default=0.25, help="confidence threshold (default 0.25)")
    p.add_argument("--labels", action="store_true", help="draw ground truth from labels/ beside images/")
    p.add_argument("--device", help="cuda device, e.g. 0, or cpu")
    p.set_defaults(func=_run)
