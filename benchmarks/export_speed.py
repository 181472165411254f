# sdgas-ultra, AGPL-3.0
"""ONNX Runtime CPU latency of SD-GASNet against stock YOLO nano models, printed as a markdown table.

Every model is built from its YAML (no weights are downloaded) with the same number of classes, exported by the same
`model.export(format="onnx", ...)` call (ultralytics' defaults: static shape, batch 1, onnxslim), and timed at batch 1
in one process. Rounds are interleaved (each round runs every model once, in an order shuffled anew each round:
benchmarks/common/timing.py), so a change of load on the machine hits all models alike. The table gives the median
and interquartile range per model and the ratio of medians to the baseline (yolov8n). Weights are random: latency
does not depend on them.

    python -m benchmarks.export_speed                          # imgsz 640, 300 rounds: paste into docs/benchmarks.md
    python -m benchmarks.export_speed --imgsz 64 --rounds 5    # smoke run (seconds)

Run it on a quiet machine; `--threads` pins ONNX Runtime's intra-op threads (0: its default, one per core).
"""

import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import cli
from benchmarks.common.models import build_yolo
from benchmarks.common.report import cpu_name, md_table
from benchmarks.common.timing import interleaved

MODELS = ("sdgasnet-n", "yolov8n", "yolo11n", "yolo26n")
TARGET = 1.10  # issue #10: sdgasnet-n at most 1.10x the latency of yolov8n


def parse_args(argv=None):
    """Parse and check the command line; errors exit with a message naming the bad option."""
    p = cli.parser(__doc__, "export_speed")
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
    cli.at_least(p, args, {"imgsz": 32, "nc": 1, "rounds": 1, "warmup": 0, "threads": 0})
    if args.baseline not in args.models:
        p.error(f"--baseline {args.baseline} is not in --models")
    return args


def export_onnx(model, name, imgsz, simplify, workdir):
    """Export with ultralytics' exporter; returns the .onnx path in workdir, named after the model."""
    f = model.export(format="onnx", imgsz=imgsz, batch=1, dynamic=False, simplify=simplify, device="cpu", verbose=False)
    dst = workdir / f"{name}.onnx"
    if Path(f).resolve() != dst.resolve():
        shutil.move(f, dst)
    return dst


def session(path, threads):
    """ONNX Runtime CPU session of one model: sequential, `threads` intra-op threads (0: its default), no spinning."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # each session owns a thread pool whose idle threads spin after a run; with several sessions timed in turn the
    # spinning pool of the previous model would steal cores from the next one
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def time_sessions(sessions, imgsz, rounds, warmup):
    """Per model, the list of `rounds` batch-1 latencies (ms), measured interleaved on a fixed random input."""
    feeds = {}
    for name, s in sessions.items():
        inp = s.get_inputs()[0]
        x = np.random.default_rng(0).random((1, inp.shape[1], imgsz, imgsz), dtype=np.float32)
        feeds[name] = {inp.name: x}
    return interleaved({n: (lambda n=n: sessions[n].run(None, feeds[n])) for n in sessions}, rounds, warmup)


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
    ]
    body = []
    for name, params, size in rows:
        q1, med, q3 = np.percentile(np.asarray(times[name]), [25, 50, 75])
        body.append([name, f"{params / 1e6:.2f}", f"{size / 2**20:.1f}", f"{med:.2f}", f"{q1:.2f}-{q3:.2f}",
                     f"{med / base:.2f}x"])
    head = ["Model", "Params (M)", "ONNX (MB)", "Median (ms)", "IQR (ms)", f"vs {args.baseline}"]
    return "\n".join(lines + md_table(head, body, align="lrrrrr"))


def main(argv=None):
    """Build and export every model, time the ONNX Runtime sessions interleaved, print the table (and the target)."""
    args = parse_args(argv)
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
            model = build_yolo(name, args.nc)
            params = sum(p.numel() for p in model.model.parameters())
            path = export_onnx(model, name, args.imgsz, args.simplify, args.workdir)
            rows.append((name, params, path.stat().st_size))
            sessions[name] = session(path, args.threads)
        print(f"timing {len(sessions)} models x {args.rounds} rounds ...", file=sys.stderr, flush=True)
        times = time_sessions(sessions, args.imgsz, args.rounds, args.warmup)
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
