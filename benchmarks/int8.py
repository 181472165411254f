# sdgas-ultra, AGPL-3.0
"""INT8 settings (issue #21): upstream's quantizer settings against the plugin's, on val (choosing) and test.

    python -m benchmarks.int8 --data synthetic-defects.yaml --imgsz 192 \
        --weights sdgasnet-n/0=a.pt sdgasnet-n/1=b.pt yolov8n/0=c.pt
    python -m benchmarks.int8 --report --docs docs/benchmarks.md           # the table of the committed rows

Each checkpoint (LABEL=FILE; the label names model and seed) is exported by `yolo export` with the plugin active, as
FP32 and as INT8 (`quantize=8 data=...`, calibrated on the dataset's val images) for ONNX Runtime and OpenVINO, and
once more as INT8 with upstream's own quantizer settings (the plugin's two INT8 patches undone in that process,
everything else alike): ONNX Runtime per-tensor weights, nncf's default activation ranges; the plugin's are
per-channel weights and min-max ranges (sdgas_ultra/_upstream/patches.py). Every export is scored by stock `val` on
the val and the test split (mAP50). A setting is chosen on val; test reports it. Rows go to
benchmarks/results/int8.csv, one per (label, runtime, setting); a rerun replaces the rows of the (label, data) it ran.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import cli
from benchmarks.common.report import md_table, write_docs
from benchmarks.common.results import RESULTS_DIR, read_rows, write_rows
from benchmarks.runtimes import VARIANTS, YOLO_CLI, resolve_data

CSV_PATH = RESULTS_DIR / "int8.csv"
RUNTIMES = ("onnx", "openvino")  # runtimes.VARIANTS names their FP32 (fmt) and INT8 (fmt-int8) export files
SETTINGS = ("fp32", "int8-upstream", "int8-plugin")
# runtimes' `yolo` command (the plugin active); with `upstream` its INT8 patches are first put back to upstream's
# functions (activate() is idempotent, so YOLO_CLI's own call then changes nothing)
EXPORT = """import sys, sdgas_ultra
sdgas_ultra.activate()
if sys.argv.pop(1) == "upstream":
    from ultralytics.utils.export import onnx, openvino
    for module, name in ((onnx, "onnx_int8_quantize"), (openvino, "torch2openvino")):
        setattr(module, name, getattr(module, name).sdgas_original)
""" + YOLO_CLI


def parse_args(argv=None):
    p = cli.parser(__doc__, "int8")
    p.add_argument("--data", default="synthetic-defects.yaml", help="dataset YAML (calibrates on val)")
    p.add_argument("--imgsz", type=int, default=192)
    p.add_argument("--weights", nargs="*", default=[], metavar="LABEL=FILE", help="checkpoints, e.g. sdgasnet-n/0=a.pt")
    p.add_argument("--runtimes", nargs="+", default=list(RUNTIMES), choices=RUNTIMES)
    p.add_argument("--workdir", type=Path, help="keep the exports here (default: a temp dir)")
    p.add_argument("--csv", type=Path, default=CSV_PATH)
    p.add_argument("--report", action="store_true", help="export nothing; print the table of --csv")
    p.add_argument("--docs", type=Path, help="also rewrite the block between the int8 markers of this file")
    args = p.parse_args(argv)
    weights = {}
    for item in args.weights:
        label, sep, file = item.partition("=")
        if not sep or not label or not Path(file).is_file():
            p.error(f"--weights {item!r}: expected LABEL=FILE with FILE a checkpoint")
        weights[label] = Path(file).resolve()
    if not weights and not args.report:
        p.error("--weights: give at least one LABEL=FILE (or --report)")
    args.weights = weights
    return args


def export(weights, fmt, setting, data, imgsz, folder):
    """Path of `weights` exported as fmt at `setting` (SETTINGS) into folder (a copy of the checkpoint is made)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.pt").write_bytes(Path(weights).read_bytes())
    int8 = setting != "fp32"
    cmd = [sys.executable, "-c", EXPORT, "upstream" if setting == "int8-upstream" else "plugin", "export",
           f"model={folder / 'model.pt'}", f"format={fmt}", f"imgsz={imgsz}", "device=cpu",
           *(["quantize=8", f"data={data}"] if int8 else [])]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=folder)
    out = folder / VARIANTS[f"{fmt}-int8" if int8 else fmt][2]
    if proc.returncode or not out.exists():
        raise SystemExit(f"{weights}: {fmt} {setting} export failed:\n{proc.stderr[-2000:]}")
    return out


def score(file, data, imgsz, split, folder):
    """mAP50 of an exported model on one split (stock val, batch 1)."""
    from ultralytics import YOLO

    metrics = YOLO(str(file), task="detect").val(data=str(data), split=split, imgsz=imgsz, batch=1, device="cpu",
                                                 plots=False, verbose=False, project=str(folder), name=split,
                                                 exist_ok=True)  # fmt: skip
    return round(float(metrics.box.map50), 4)


def run(args, workdir):
    """Export and score every (label, runtime, setting); returns the rows."""
    data, _, _ = resolve_data(args.data, "test", workdir)
    rows = []
    for label, weights in args.weights.items():
        for fmt in args.runtimes:
            for setting in SETTINGS:
                folder = workdir / label.replace("/", "-") / fmt / setting
                print(f"{label}: {fmt} {setting} ...", file=sys.stderr, flush=True)
                file = export(weights, fmt, setting, data, args.imgsz, folder)
                rows.append({"label": label, "runtime": fmt, "setting": setting, "data": Path(args.data).name,
                             "imgsz": args.imgsz, **{f"{s}_map50": score(file, data, args.imgsz, s, folder)
                                                     for s in ("val", "test")}})  # fmt: skip
    return rows


def report(rows):
    """Markdown: per checkpoint (label and dataset) and runtime, INT8 − FP32 in mAP50 points on val and test for each
    INT8 setting; then per model and setting the mean over its checkpoints (and the worst on test)."""
    rows = [{**r, **{k: float(r[k]) for k in ("val_map50", "test_map50")}} for r in rows]
    fp32 = {(r["label"], r["data"], r["runtime"]): r for r in rows if r["setting"] == "fp32"}
    body, deltas = [], {}
    for r in rows:
        base = fp32.get((r["label"], r["data"], r["runtime"]))
        if r["setting"] == "fp32" or base is None:
            continue
        d = [100 * (r[f"{s}_map50"] - base[f"{s}_map50"]) for s in ("val", "test")]
        deltas.setdefault((r["label"].split("/")[0], r["runtime"], r["setting"]), []).append(d)
        body.append([f"{r['label']} ({Path(r['data']).stem})", r["runtime"], r["setting"],
                     f"{100 * base['val_map50']:.1f}", f"{100 * base['test_map50']:.1f}", f"{d[0]:+.1f}",
                     f"{d[1]:+.1f}"])  # fmt: skip
    for (model, fmt, setting), ds in sorted(deltas.items()):
        val, test = (sum(d[i] for d in ds) / len(ds) for i in (0, 1))
        body.append([f"**{model}, mean of {len(ds)}**", fmt, setting, "", "", f"**{val:+.1f}**",
                     f"**{test:+.1f}** (worst {min(d[1] for d in ds):+.1f})"])  # fmt: skip
    head = ["checkpoint", "runtime", "INT8 setting", "FP32 val", "FP32 test", "INT8 − FP32 val", "INT8 − FP32 test"]
    return "\n".join(md_table(head, body)) + "\n"


def main(argv=None):
    args = parse_args(argv)
    if not args.report:
        tmp = None if args.workdir else tempfile.TemporaryDirectory(prefix="sdgas-int8-")
        workdir = (args.workdir or Path(tmp.name)).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            new = run(args, workdir)
        finally:
            if tmp is not None:
                tmp.cleanup()
        ran = {(r["label"], r["data"]) for r in new}
        kept = [r for r in read_rows(args.csv) if (r["label"], r["data"]) not in ran]
        write_rows(args.csv, kept + new)
        print(f"wrote {args.csv}", file=sys.stderr)
    text = report(read_rows(args.csv))
    if args.docs:
        write_docs(args.docs, text, "int8")
    print(text)


if __name__ == "__main__":
    main()
