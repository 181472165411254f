# sdgas-ultra, AGPL-3.0
"""Every deployment runtime side by side (issue #21): sdgasnet-n and yolov8n exported the same way, run by stock YOLO.

    python -m benchmarks.runtimes --data synthetic-defects.yaml --imgsz 224 --weights sdgasnet-n=a.pt yolov8n=b.pt
    python -m benchmarks.runtimes --data synthetic-defects.yaml --imgsz 224 --epochs 30   # train both first
    python -m benchmarks.runtimes --data path/data.yaml --imgsz 64 --epochs 1 --runs 3    # smoke run (minutes)

Each model (a checkpoint given with --weights, else trained from its YAML for --epochs on --data) is exported by the
stock `yolo export` command, once per VARIANTS row: TorchScript, ONNX FP32 and INT8, OpenVINO FP32 and INT8
(`quantize=8 data=...`, calibrated on the dataset), NCNN. The exported files are then loaded with the stock
`YOLO(file)` in a child process started with SDGAS_ULTRA_DISABLE=1 (ultralytics stays stock; the child checks that
sdgas_ultra was never imported), one child per runtime; the PyTorch checkpoints run in a child with the plugin on.
Each child predicts the same images, runs `val` on --split (mAP50), and times `predict` on one image (batch 1, wall
time as a user sees it, after a warm-up) with the shared interleaved timer (benchmarks/common/timing.py): each round
runs both models once, so the sdgasnet-n / yolov8n ratio of a runtime is paired by round. Reported per model and
runtime: mAP50 (INT8 also as the change from FP32 of the same runtime), agreement with PyTorch (matched boxes: same
class, IoU >= 0.5; the largest coordinate difference in pixels of the original image), median latency and its ratio
to yolov8n (INT8 also to FP32). Run the latency on a quiet machine (`--runs 0` skips it). A variant that fails to
export or load is reported with its error, and the others still run. Stock YOLO leaves OpenVINO's CPU plugin at its
default precision, bf16 on CPUs with AMX or AVX512-BF16: there its "FP32" boxes differ from PyTorch by a few px,
yolov8n's alike (tests/test_export.py checks the export itself at f32). A 1-epoch smoke model has near-tied scores,
so its boxes agree only by chance.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import cli
from benchmarks.common.results import RESULTS_DIR, write_rows
from benchmarks.common.timing import interleaved

REPO = Path(__file__).resolve().parents[1]
CSV_PATH = RESULTS_DIR / "runtimes.csv"
MODELS = ("sdgasnet-n", "yolov8n")
BASELINE = "yolov8n"
# variant -> (export format, INT8?, file or folder the export writes next to model.pt, its FP32 counterpart)
VARIANTS = {
    "pytorch": (None, False, "model.pt", None),
    "torchscript": ("torchscript", False, "model.torchscript", None),
    "onnx": ("onnx", False, "model.onnx", None),
    "onnx-int8": ("onnx", True, "model_int8.onnx", "onnx"),
    "openvino": ("openvino", False, "model_openvino_model", None),
    "openvino-int8": ("openvino", True, "model_int8_openvino_model", "openvino"),
    "ncnn": ("ncnn", False, "model_ncnn_model", None),
}
# the `yolo` console script, with the plugin activated as its start-up hook does when installed (explicit here, so a
# source checkout on PYTHONPATH exports the same way)
YOLO_CLI = (
    "import sys, sdgas_ultra; sdgas_ultra.activate(); from ultralytics.cfg import entrypoint; sys.argv[0] = 'yolo'; "
    "sys.exit(entrypoint())"
)
MATCH_IOU = 0.5


def parse_args(argv=None):
    p = cli.parser(__doc__, "runtimes")
    p.add_argument("--data", default="synthetic-defects.yaml", help="dataset YAML (calibration, mAP50, images)")
    p.add_argument("--split", default="test", help="split for mAP50 and box agreement (falls back to val)")
    p.add_argument("--imgsz", type=int, default=224)
    p.add_argument("--weights", nargs="*", default=[], metavar="MODEL=FILE", help="checkpoints instead of training")
    p.add_argument("--epochs", type=int, default=30, help="training budget of a model without --weights")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--images", type=int, default=20, help="images of --split predicted for box agreement")
    p.add_argument("--conf", type=float, default=0.25, help="confidence threshold of the box agreement predictions")
    p.add_argument("--runs", type=int, default=100, help="timed rounds (0: no latency)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--workdir", type=Path, help="keep checkpoints and exports here (default: a temp dir)")
    p.add_argument("--csv", type=Path, default=CSV_PATH)
    p.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)  # spec.json result.json: run a child
    args = p.parse_args(argv)
    weights = {}
    for item in args.weights:
        name, sep, file = item.partition("=")
        if not sep or name not in MODELS or not Path(file).is_file():
            p.error(f"--weights {item!r}: expected MODEL=FILE with MODEL in {', '.join(MODELS)} and FILE a checkpoint")
        weights[name] = Path(file).resolve()
    args.weights = weights
    if "pytorch" not in args.variants:
        args.variants.insert(0, "pytorch")  # the reference of the box agreement
    return args


# ------------------------------------------------------------------------------------------------ parent side
def resolve_data(data, split, workdir):
    """Write a self-contained copy of dataset YAML `data` (absolute paths, generated if missing) to workdir, so that
    exports and a plugin-less child read it alike; return (its path, the split actually used, that split's images)."""
    import yaml
    from ultralytics.data.utils import check_det_dataset

    d = check_det_dataset(str(data))
    split = split if d.get(split) else "val"
    folder = Path(str(d[split]))
    if not folder.is_dir():
        raise SystemExit(f"{data}: split '{split}' must be a folder of images, got {d[split]}")
    keys = ("path", "train", "val", "test", "names", "channels")
    out = {k: d[k] if isinstance(d[k], (dict, int, list)) else str(d[k]) for k in keys if d.get(k) is not None}
    path = workdir / "data.yaml"
    path.write_text(yaml.safe_dump(out, sort_keys=False))
    images = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp"))
    return path, split, images


def train(model, data, imgsz, epochs, workdir):
    """best.pt of `model` trained from its YAML for `epochs` on data (CPU)."""
    from sdgas_ultra import SDGASModel

    yolo = SDGASModel(f"{model}.yaml")
    yolo.train(data=str(data), imgsz=imgsz, epochs=epochs, batch=16, workers=0, device="cpu", plots=False,
               project=str(workdir / "train"), name=model, exist_ok=True, verbose=False)  # fmt: skip
    return Path(yolo.trainer.best)


def export(weights, variant, data, imgsz, folder):
    """Export weights as `variant` with the stock `yolo export` into folder; returns (path, None) or (None, error)."""
    fmt, int8, name, _ = VARIANTS[variant]
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(weights, folder / "model.pt")
    if fmt is None:
        return folder / name, None
    cmd = [sys.executable, "-c", YOLO_CLI, "export", f"model={folder / 'model.pt'}", f"format={fmt}", f"imgsz={imgsz}",
           "device=cpu", *([f"quantize=8", f"data={data}"] if int8 else [])]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=folder)
    out = folder / name
    if proc.returncode or not out.exists():
        text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stderr + proc.stdout)  # no terminal colours in the table
        lines = [ln for ln in text.splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower() or "failure" in ln.lower()]
        return None, (errors or lines or [f"exit status {proc.returncode}, no {name}"])[-1].strip()[:200]
    return out, None


def run_variant(variant, files, data, split, images, args, workdir):
    """Evaluate the files {model/variant: file} of one variant in a child process of their own (the plugin on for
    PyTorch checkpoints, off for exports), so no other runtime's thread pool runs beside them; returns its results
    or, when the child fails, an error per file."""
    plugin = variant == "pytorch"
    spec, result = workdir / f"{variant}-spec.json", workdir / f"{variant}-result.json"
    spec.write_text(json.dumps({
        "files": {k: str(v) for k, v in files.items()}, "data": str(data), "split": split,
        "images": [str(p) for p in images], "imgsz": args.imgsz, "conf": args.conf, "runs": args.runs,
        "warmup": args.warmup,
    }))  # fmt: skip
    env = {**os.environ, "SDGAS_ULTRA_DISABLE": "0" if plugin else "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))  # the benchmarks package
    proc = subprocess.run([sys.executable, "-m", "benchmarks.runtimes", "--child", str(spec), str(result)], env=env,
                          cwd=workdir, capture_output=True, text=True)
    if proc.returncode or not result.exists():
        last = ([ln for ln in proc.stderr.splitlines() if ln.strip()] or [f"exit status {proc.returncode}"])[-1]
        return {k: {"error": f"child process failed: {last.strip()[:200]}"} for k in files}
    results = json.loads(result.read_text())
    if results.pop("sdgas_ultra_imported") and not plugin:
        raise RuntimeError(f"the {variant} child imported sdgas_ultra: SDGAS_ULTRA_DISABLE=1 was not honoured")
    return results


def box_agreement(ref, got):
    """(largest coordinate difference in px over matched boxes or None, matched, reference boxes, extra boxes).
    ref, got: per image, rows [x1, y1, x2, y2, conf, cls]; each reference box, most confident first, takes the
    free box of its class with the highest IoU (ultralytics' box_iou), if it reaches MATCH_IOU."""
    import torch
    from ultralytics.utils.metrics import box_iou

    worst, matched, total, extra = None, 0, 0, 0
    for r_img, g_img in zip(ref, got):
        free, total = set(range(len(g_img))), total + len(r_img)
        ious = box_iou(torch.tensor(r_img)[:, :4], torch.tensor(g_img)[:, :4]) if r_img and g_img else None
        for i in sorted(range(len(r_img)), key=lambda i: -r_img[i][4]):
            cands = [(float(ious[i, j]), j) for j in free if g_img[j][5] == r_img[i][5]]
            best, j = max(cands, default=(0.0, None))
            if best >= MATCH_IOU:
                free.discard(j)
                matched += 1
                d = max(abs(a - b) for a, b in zip(r_img[i][:4], g_img[j][:4]))
                worst = d if worst is None else max(worst, d)
        extra += len(free)
    return worst, matched, total, extra


def rows_from(results, errors, variants):
    """One dict per (model, variant): mAP50, agreement with PyTorch, latency and its ratios."""
    rows = []
    for variant in variants:
        for model in MODELS:
            key = f"{model}/{variant}"
            row = {"model": model, "variant": variant, "error": errors.get(key, "")}
            r = results.get(key)
            if r is None or "error" in r:
                row["error"] = row["error"] or (r or {}).get("error", "not run")
                rows.append(row)
                continue
            row["map50"] = round(r["map50"], 4)
            fp32 = results.get(f"{model}/{VARIANTS[variant][3]}")
            if fp32 and "map50" in fp32:
                row["map50_minus_fp32"] = round(r["map50"] - fp32["map50"], 4)
            worst, matched, total, extra = box_agreement(results[f"{model}/pytorch"]["boxes"], r["boxes"])
            row.update(box_max_px=None if worst is None else round(worst, 3), boxes_matched=f"{matched}/{total}",
                       boxes_extra=extra)  # fmt: skip
            if r["latency_ms"]:
                row["latency_ms"] = round(statistics.median(r["latency_ms"]), 3)
                base = results.get(f"{BASELINE}/{variant}", {}).get("latency_ms")
                if base:  # paired by round: both models ran in the same rounds of the same child
                    ratios = [a / b for a, b in zip(r["latency_ms"], base)]
                    row["latency_vs_yolov8n"] = round(statistics.median(ratios), 3)
                if fp32 and fp32.get("latency_ms"):
                    row["latency_vs_fp32"] = round(row["latency_ms"] / statistics.median(fp32["latency_ms"]), 3)
            rows.append(row)
    return rows


FIELDS = ["model", "variant", "map50", "map50_minus_fp32", "box_max_px", "boxes_matched", "boxes_extra", "latency_ms",
          "latency_vs_yolov8n", "latency_vs_fp32", "error"]  # fmt: skip


def write_csv(rows, path):
    """The results, every FIELDS column in order (empty where a variant has no value), and the measuring release."""
    from sdgas_ultra import __version__

    write_rows(path, [{**{k: r.get(k, "") for k in FIELDS}, "version": __version__} for r in rows])


def print_table(rows, args, split, n_images):
    import platform

    import torch
    import ultralytics

    print(f"\nimgsz {args.imgsz}, batch 1, CPU ({os.cpu_count()} logical cores), mAP50 on '{split}', box agreement "
          f"on {n_images} images; ultralytics {ultralytics.__version__}, torch {torch.__version__}, "
          f"Python {platform.python_version()}; {args.runs} interleaved latency rounds")  # fmt: skip
    print("| " + " | ".join(FIELDS) + " |")
    print("|" + "---|" * len(FIELDS))
    for r in rows:
        print("| " + " | ".join("" if r.get(k) is None else str(r.get(k)) for k in FIELDS) + " |")


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(*args.child)
    import sdgas_ultra

    sdgas_ultra.activate()
    tmp = None if args.workdir else tempfile.TemporaryDirectory(prefix="sdgas-runtimes-")
    workdir = (args.workdir or Path(tmp.name)).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        data, split, images = resolve_data(args.data, args.split, workdir)
        images = images[: args.images]
        files, errors = {}, {}
        for model in MODELS:
            weights = args.weights.get(model) or train(model, data, args.imgsz, args.epochs, workdir)
            for variant in args.variants:
                print(f"exporting {model} as {variant} ...", file=sys.stderr, flush=True)
                path, error = export(weights, variant, data, args.imgsz, workdir / model / variant)
                if error:
                    errors[f"{model}/{variant}"] = error
                else:
                    files[f"{model}/{variant}"] = path
        results = {}
        for variant in args.variants:
            print(f"running the {variant} models ...", file=sys.stderr, flush=True)
            mine = {k: v for k, v in files.items() if k.endswith(f"/{variant}")}
            if mine:
                results.update(run_variant(variant, mine, data, split, images, args, workdir))
        rows = rows_from(results, errors, args.variants)
        write_csv(rows, args.csv)
        print_table(rows, args, split, len(images))
        print(f"\nwrote {args.csv}")
    finally:
        if tmp is not None:
            tmp.cleanup()


# ------------------------------------------------------------------------------------------------- child side
def child(spec_path, result_path):
    """Load every file of the spec with stock YOLO(file); predict, val, then time them interleaved; write JSON."""
    from ultralytics import YOLO

    spec = json.loads(Path(spec_path).read_text())
    imgsz, results, models = spec["imgsz"], {}, {}
    for key, file in spec["files"].items():
        try:
            yolo = YOLO(file, task="detect")
            kw = {"imgsz": imgsz, "device": "cpu", "verbose": False}
            preds = yolo.predict(spec["images"], conf=spec["conf"], stream=True, **kw)
            boxes = [r.boxes.data.tolist() for r in preds]  # [x1, y1, x2, y2, conf, cls] in original-image pixels
            val = yolo.val(data=spec["data"], split=spec["split"], batch=1, plots=False,
                           project=str(Path(result_path).parent / "val"), name=key.replace("/", "-"), **kw)
            results[key] = {"map50": float(val.box.map50), "boxes": boxes, "latency_ms": []}
            models[key] = yolo
        except Exception as e:  # one runtime that cannot run must not hide the others
            results[key] = {"error": f"{type(e).__name__}: {e}".splitlines()[0][:200]}
    image = spec["images"][0] if spec["images"] else None
    if image and models and spec["runs"]:
        calls = {key: (lambda m=m: m.predict(image, imgsz=imgsz, device="cpu", verbose=False))
                 for key, m in models.items()}
        for key, ms in interleaved(calls, spec["runs"], spec["warmup"]).items():
            results[key]["latency_ms"] = ms
    results["sdgas_ultra_imported"] = "sdgas_ultra" in sys.modules
    Path(result_path).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
