# sdgas-ultra, AGPL-3.0
"""Evaluation of a finished training run: best.pt (chosen on val) on the val and test splits, its size, the curve's
last-tenth gain, and the bootstrap replicates of its test mAPs over the fixed image resamples (stats.resamples)."""

import csv

import numpy as np

from .stats import BOOT, resamples


def measure(folder, args):
    """Metrics of a finished run folder: best.pt (chosen on val) on val and test, size, the curve's last-tenth gain;
    and the bootstrap replicates of its test mAPs."""
    weights = folder / "weights" / "best.pt"
    val, _ = evaluate(weights, args, folder, "val")
    test, images = evaluate(weights, args, folder, "test")
    metrics = {**val, **{f"test_{k}": v for k, v in test.items()}, **size(weights),
               "val_gain_last_tenth": last_tenth_gain(folder / "results.csv")}
    return metrics, bootstrap(images)


def evaluate(weights, args, folder, split):
    """mAP50, mAP50-95 and per-class AP50 of a checkpoint on one split, and its per-image match statistics
    (a list, in dataset order, of {tp (n, 10), conf (n,), pred_cls (n,), target_cls (m,)})."""
    from sdgas_ultra import SDGASModel

    yolo, images = SDGASModel(str(weights)), []

    def keep_images(validator):  # the stats lists grow by one entry per image; ultralytics clears them at the end
        stats = validator.metrics.stats
        images.extend({k: stats[k][i] for k in ("tp", "conf", "pred_cls", "target_cls")}
                      for i in range(len(images), len(stats["tp"])))

    yolo.add_callback("on_val_batch_end", keep_images)
    metrics = yolo.val(data=args.data, split=split, imgsz=args.imgsz, batch=args.batch, device=args.device,
                       workers=args.workers, plots=False, project=str(folder), name=split, exist_ok=True)
    box = metrics.box
    ap50 = {f"ap50:{metrics.names[c]}": float(box.ap50[i]) for i, c in enumerate(box.ap_class_index)}
    return {"map50": float(box.map50), "map50_95": float(box.map), **ap50}, images


def size(weights):
    """Parameters and GFLOPs at 640 of the fused model."""
    from sdgas_ultra import SDGASModel
    from ultralytics.utils.torch_utils import get_flops, get_num_params

    net = SDGASModel(str(weights)).model.cpu().float().fuse(verbose=False).eval()
    return {"params": get_num_params(net), "gflops640": round(get_flops(net, 640), 3)}


def val_curve(results_csv):
    """Val mAP50 after each epoch, from the results.csv that ultralytics writes into a run folder."""
    with open(results_csv, newline="") as f:
        return [float(r["metrics/mAP50(B)"]) for r in csv.DictReader(f, skipinitialspace=True)]


def last_tenth_gain(results_csv):
    """Best val mAP50 of all epochs minus the best of the first 90 %: what the last tenth of training added."""
    curve = val_curve(results_csv)
    return round(max(curve) - max(curve[: max(1, int(0.9 * len(curve)))]), 5)


def bootstrap(images):
    """{"map50", "map50_95"}: (BOOT,) arrays of the mAPs of each resample (stats.resamples) of the per-image
    statistics."""
    from ultralytics.utils.metrics import ap_per_class

    out = {"map50": np.zeros(BOOT), "map50_95": np.zeros(BOOT)}
    for b, idx in enumerate(resamples(len(images))):
        cat = {k: np.concatenate([images[i][k] for i in idx]) for k in images[0]}
        ap = ap_per_class(cat["tp"], cat["conf"], cat["pred_cls"], cat["target_cls"])[5]  # (classes, 10 IoUs)
        out["map50"][b], out["map50_95"][b] = (ap[:, 0].mean(), ap.mean()) if len(ap) else (0.0, 0.0)
    return out
