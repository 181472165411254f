# sdgas-ultra, AGPL-3.0
"""ONNX Runtime CPU latency of SD-GASNet against stock YOLO nano models, printed as a markdown table.

Every model is built from its YAML (no weights are downloaded) with the same number of classes, exported by the same
`model.export(format="onnx", ...)` call (ultralytics' defaults: static shape, batch 1, onnxslim), and timed at batch 1
in one process. Rounds are interleaved (each round runs every model once, in a rotating order), so a change of load
on the machine hits all models alike. The table gives the median and interquartile range per model and the ratio of
medians to the baseline (yolov8n). Weights are random: latency does not depend on them.

    python benchmarks/export_speed.py                          # imgsz 640, 300 rounds: paste into docs/benchmarks.md
    python benchmarks/export_speed.py --imgsz 64 --rounds 5    # smoke run (seconds)

Run it on a quiet machine; `--threads` pins ONNX Runtime's intra-op threads (0: its default, one per core).
"""

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODELS = ("sdgasnet-n", "yolov8n", "yolo11n", "yolo26n")
TARGET = 1.10  # issue #10: sdgasnet-n at most 1.10x the latency of yolov8n


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(MODELS), help="model YAML names without .yaml")
    p.add_argument("--baseline", default="yolov8n", help="model the ratios are relative to")
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--nc", type=int, default=6, help="classes of every model (6: NEU-DET)")
    p.add_argument("--rounds", type=int, default=300, help="timed runs per model")
    p.add_argument("--warmup", type=int, default=10, help="untimed runs per model first")
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime intra-op threads (0: its default)")
    p.add_argument("--no-simplify", dest="simplify", action="store_false", help="export without onnxslim")
    p.add_argument("--workdir", type=Path, default=None, help="keep the .onnx files here (default: a temp dir)")
    args = p.parse_args(argv)
    if args.baseline not in args.models:
        p.error(f"--baseline {args.baseline} is not in --models")
    return args


def build(name, nc):
    """YOLO model `name` built from its YAML with nc classes (SD-GASNet's YAML says 6, stock ones 80)."""
    from ultralytics import YOLO

    model = YOLO(f"{name}.yaml")
    net = model.model
    if net.yaml["nc"] != nc:
        rebuilt = type(net)({**net.yaml, "nc": nc}, nc=nc, verbose=False)
        rebuilt.args, rebuilt.task = net.args, net.task
        model.model = rebuilt
    return model


def export_onnx(model, name, imgsz, simplify, workdir):
    """Export with ultralytics' exporter; returns the .onnx path in workdir, named after the model."""
    f = model.export(format="onnx", imgsz=imgsz, batch=1, dynamic=False, simplify=simplify, device="cpu", verbose=False)
    dst = workdir / f"{name}.onnx"
    if Path(f).resolve() != dst.resolve():
        shutil.move(f, dst)
    return dst


def session(path, threads):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # each session owns a thread pool whose idle threads spin after a run; with several sessions timed in turn the
    # spinning pool of the previous model would steal cores from the next one
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def time_interleaved(sessions, imgsz, rounds, warmup):
    """Per model, the list of `rounds` batch-1 latencies (ms), measured round-robin in a rotating order."""
    feeds = {}
    for name, s in sessions.items():
        inp = s.get_inputs()[0]
        x = np.random.default_rng(0).random((1, inp.shape[1], imgsz, imgsz), dtype=np.float32)
        feeds[name] = {inp.name: x}
    names = list(sessions)
    for _ in range(warmup):
        for name in names:
            sessions[name].run(None, feeds[name])
    times = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            t = time.perf_counter()
            sessions[name].run(None, feeds[name])
            times[name].append((time.perf_counter() - t) * 1e3)
    return times


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(rows, times, args):
    """Markdown table (str) of the results, with the set-up in a header line."""
    import onnxruntime as ort
    import torch
    import ultralytics

    base = float(np.median(times[args.baseline]))
    lines = [
        f"ONNX Runtime {ort.__version__} CPUExecutionProvider, batch 1, imgsz {args.imgsz}, nc {args.nc}, "
        f"{args.rounds} interleaved rounds after {args.warmup} warm-up, intra-op threads "
        f"{args.threads or 'default'} (no spinning); {cpu_name()}, {os.cpu_count()} logical cores; ultralytics "
        f"{ultralytics.__version__}, torch {torch.__version__}, Python {platform.python_version()}; "
        f"export: static, {'onnxslim' if args.simplify else 'not simplified'}.",
        "",
        f"| Model | Params (M) | ONNX (MB) | Median (ms) | IQR (ms) | vs {args.baseline} |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, params, size in rows:
        t = np.asarray(times[name])
        q1, med, q3 = np.percentile(t, [25, 50, 75])
        lines.append(
            f"| {name} | {params / 1e6:.2f} | {size / 2**20:.1f} | {med:.2f} | {q1:.2f}-{q3:.2f} | {med / base:.2f}x |"
        )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    import sdgas_ultra

    sdgas_ultra.activate()  # the start-up hook does this when installed; explicit for a source checkout

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="sdgas-export-speed-")
        args.workdir = Path(tmp.name)
    args.workdir.mkdir(parents=True, exist_ok=True)
    cwd = Path.cwd()
    os.chdir(args.workdir)  # the exporter writes next to the YAML name, i.e. here
    try:
        rows, sessions = [], {}
        for name in args.models:
            print(f"building and exporting {name} ...", file=sys.stderr, flush=True)
            model = build(name, args.nc)
            params = sum(p.numel() for p in model.model.parameters())
            path = export_onnx(model, name, args.imgsz, args.simplify, args.workdir)
            rows.append((name, params, path.stat().st_size))
            sessions[name] = session(path, args.threads)
        print(f"timing {len(sessions)} models x {args.rounds} rounds ...", file=sys.stderr, flush=True)
        times = time_interleaved(sessions, args.imgsz, args.rounds, args.warmup)
    finally:
        os.chdir(cwd)
    print(table(rows, times, args))
    if "sdgasnet-n" in times and args.baseline == "yolov8n" and args.imgsz == 640:  # the target is set at 640
        ratio = np.median(times["sdgasnet-n"]) / np.median(times["yolov8n"])
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(f"\nTarget sdgasnet-n <= {TARGET}x yolov8n at imgsz 640: {verdict} ({ratio:.2f}x).")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
