# sdgas-ultra, AGPL-3.0
"""GPU speed of sdgasnet-n against YOLOv8n, YOLO11n and YOLO26n (issue #14): eager and torch.compile, FP32 and FP16.

    python -m benchmarks.gpu                          # on a CUDA GPU; see benchmarks/gpu.sh for the GPU machine
    python -m benchmarks.gpu --device cpu --tiny      # seconds-long check of the script itself, on the CPU
    python -m benchmarks.gpu --accuracy               # then benchmarks.accuracy runs, in parallel on the GPU

Every model is built from its YAML (random weights, 80 classes), its BatchNorm statistics are set from random images
(a plain random init shrinks the head's activations to ~1e-5, which would make the parity and FP16 checks vacuous),
then it is fused and put in eval mode. Variants per model: FP32 and FP16 (`.half()`, as ultralytics' half=True),
eager and `torch.compile(model, mode=--compile)`, batch 1 and batch --big-batch (FP16 only). "reduce-overhead" is
Inductor's kernels replayed as CUDA graphs, the one-call path with the lowest batch-1 latency for small models; its
compile time is bounded per variant and a variant that fails or runs out of time is skipped with a note.

Timing: each call is synchronised before and after (batch-1 latency as a user sees it); all variants of one batch
size are timed in a shuffled order within each round (benchmarks/common/timing.py), so machine noise hits all alike;
medians are reported. FP32 is strict IEEE FP32 unless --tf32 (cuDNN's TF32 convolutions are on by default in
PyTorch). Parity is the max abs difference between the eager and compiled outputs (the decoded (B, 4 + nc, anchors)
tensor, boxes in pixels).
Writes gpu.csv and gpu.md to --out ($OUT if set, else benchmarks/results).
"""

import csv
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from copy import deepcopy
from pathlib import Path

import torch
from ultralytics import __version__ as ULTRALYTICS_VERSION
from ultralytics.data.utils import check_det_dataset

import sdgas_ultra
from benchmarks.common import cli
from benchmarks.common.models import build
from benchmarks.common.report import cpu_name, md_table
from benchmarks.common.results import RESULTS_DIR, boot_path, curve_path, write_rows
from benchmarks.common.timing import interleaved

MODELS = ("sdgasnet-n", "yolov8n", "yolo11n", "yolo26n")
REPO = Path(__file__).resolve().parents[1]
FPS_TARGET, PARITY_TARGET = 540.0, 1e-3
COLUMNS = ("model", "fp32_eager_ms", "fp32_compiled_ms", "fp16_eager_ms", "fp16_compiled_ms", "best_fps",
           "best_path", "best_fps_vs_yolov8n", "big_fp16_eager_img_s", "big_fp16_compiled_img_s",
           "parity_fp32_max_abs", "parity_fp16_max_abs", "output_max_abs", "graph_breaks", "compile_s", "note")


def parse_args(argv=None):
    """Command line; --tiny shrinks every size and count to a CPU smoke test."""
    p = cli.parser(__doc__, "gpu")
    p.add_argument("--device", default="0", help="CUDA index, or cpu")
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--nc", type=int, default=80, help="classes of every head")
    p.add_argument("--runs", type=int, default=200, help="timed batch-1 rounds")
    p.add_argument("--big-batch", type=int, default=32, help="batch of the FP16 throughput rows")
    p.add_argument("--big-runs", type=int, default=30, help="timed big-batch rounds")
    p.add_argument("--warmup", type=int, default=10, help="untimed calls per variant before timing")
    p.add_argument("--compile", default="reduce-overhead",
                   help="torch.compile mode: reduce-overhead, max-autotune, max-autotune-no-cudagraphs, default; "
                        "none to time eager only")
    p.add_argument("--backend", default="inductor", help="torch.compile backend ('eager' traces without codegen)")
    p.add_argument("--compile-timeout", type=float, default=100, help="seconds one variant may spend compiling")
    p.add_argument("--budget", type=float, default=360, help="seconds for the whole speed part; compiles that "
                   "would not leave --reserve seconds for timing are skipped")
    p.add_argument("--reserve", type=float, default=60, help="seconds kept for timing and parity")
    p.add_argument("--tf32", action="store_true", help="allow TF32 in FP32 convolutions and matmuls")
    p.add_argument("--tiny", action="store_true", help="imgsz 64, 3 rounds, batch 2: a smoke test for the CPU")
    p.add_argument("--skip-speed", action="store_true", help="only the accuracy runs")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or RESULTS_DIR))
    a = p.add_argument_group("accuracy (benchmarks.accuracy, one process per model and seed, run in parallel)")
    a.add_argument("--accuracy", action="store_true")
    a.add_argument("--acc-models", nargs="+", default=["yolov8n", "sdgasnet-n"])
    a.add_argument("--acc-seeds", type=int, nargs="+", default=[0, 1, 2])
    a.add_argument("--acc-epochs", type=int, default=100)
    a.add_argument("--acc-imgsz", type=int, default=640)
    a.add_argument("--acc-fraction", type=float, default=1.0)
    a.add_argument("--acc-workers", type=int, default=2, help="dataloader workers per run")
    a.add_argument("--acc-budget", type=float, default=3600, help="seconds before unfinished runs are stopped")
    a.add_argument("--acc-dir", type=Path, default=Path("/tmp/sdgas-gpu-accuracy"), help="run folders")
    args = p.parse_args(argv)
    if args.tiny:
        args.imgsz, args.runs, args.big_batch, args.big_runs, args.warmup, args.reserve = 64, 3, 2, 2, 1, 5
    return args


# ---------------------------------------------------------------------------------------------- models
def head_output(out):
    """The decoded prediction tensor (B, 4 + nc, anchors) of a model's eval output, as FP32."""
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out.float()


class Variant:
    """One timed configuration: a model at one precision, path (eager/compiled) and batch size, with its input."""

    def __init__(self, model, precision, path, batch, fn, x):
        self.model, self.precision, self.path, self.batch, self.fn, self.x = model, precision, path, batch, fn, x
        self.times = []

    def __call__(self):
        """Run once; compiled CUDA-graph variants start a new graph step so earlier outputs may be overwritten."""
        if self.path == "compiled":
            torch.compiler.cudagraph_mark_step_begin()
        return self.fn(self.x)


@contextmanager
def time_limit(seconds):
    """Raise TimeoutError in the main thread after `seconds` (bounds one compile)."""
    def _raise(signum, frame):
        raise TimeoutError(f"compile took over {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.01))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def compile_variant(eager, args, deadline, notes):
    """Compiled twin of an eager Variant, warmed up (compiled, CUDA graphs recorded), or None with a note why."""
    from torch._dynamo.utils import counters

    tag = f"{eager.precision} b{eager.batch}"
    left = deadline - time.monotonic() - args.reserve
    if left < min(10.0, args.compile_timeout):
        notes[eager.model].append(f"{tag} not compiled: time budget spent")
        return None, 0.0, 0
    kw = {"mode": args.compile} if args.backend == "inductor" else {"backend": args.backend}
    fn = torch.compile(deepcopy(eager.fn), dynamic=False, **kw)
    v = Variant(eager.model, eager.precision, "compiled", eager.batch, fn, eager.x)
    breaks, t0 = sum(counters["graph_break"].values()), time.monotonic()
    try:
        with time_limit(min(args.compile_timeout, left)), torch.inference_mode():
            for _ in range(3):  # compile; CUDA-graph warm-up; record
                v()
    except Exception as e:  # any compile failure skips this variant only
        notes[eager.model].append(f"{tag} compile failed ({type(e).__name__}: {str(e).splitlines()[0][:80]})")
        return None, time.monotonic() - t0, 0
    return v, time.monotonic() - t0, sum(counters["graph_break"].values()) - breaks


def time_variants(variants, rounds, warmup, sync, seed=0):
    """Fill each variant's .times (ms per call) with `rounds` interleaved calls, synchronised before and after."""
    with torch.inference_mode():
        for v, times in interleaved({v: v for v in variants}, rounds, warmup, sync, seed).items():
            v.times = times


def parity(eager, compiled):
    """(max abs difference between the eager and compiled head outputs on the same input, max abs eager output)."""
    with torch.inference_mode():
        ref = head_output(eager()).clone()
        out = head_output(compiled()).clone()
    return float((out - ref).abs().max()), float(ref.abs().max())


# ---------------------------------------------------------------------------------------------- speed part
def speed(args):
    """Build, compile, time and compare every model; returns (header lines, table rows as dicts)."""
    start = time.monotonic()
    deadline = start + args.budget
    device = torch.device("cpu" if args.device == "cpu" else f"cuda:{args.device}")
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else None
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch._dynamo.config.recompile_limit = 64  # 3 compiled variants per model class; never fall back silently
    torch._dynamo.config.fail_on_recompile_limit_hit = True

    eager, notes = {}, {m: [] for m in args.models}
    for name in args.models:
        fp32 = build(name, args.nc, device, calibrate=args.imgsz)
        fp16 = deepcopy(fp32).half()
        ch = fp32.yaml.get("channels", 3)
        for prec, m, batch in (("fp32", fp32, 1), ("fp16", fp16, 1), ("fp16", deepcopy(fp16), args.big_batch)):
            x = torch.rand(batch, ch, args.imgsz, args.imgsz, device=device, dtype=next(m.parameters()).dtype)
            eager[(name, prec, batch)] = Variant(name, prec, "eager", batch, m, x)
        with torch.inference_mode():  # ultralytics caches anchors per input shape: settle them before compiling
            for v in eager.values():
                v()
    print(f"built {len(args.models)} models in {time.monotonic() - start:.0f} s", flush=True)

    compiled, compile_s, breaks = {}, {m: 0.0 for m in args.models}, {m: 0 for m in args.models}
    if args.compile != "none":  # headline first: FP16 batch 1, then FP32 batch 1 (parity), then the big batch
        for prec, batch in (("fp16", 1), ("fp32", 1), ("fp16", args.big_batch)):
            for name in args.models:
                v, secs, nb = compile_variant(eager[(name, prec, batch)], args, deadline, notes)
                compile_s[name] += secs
                breaks[name] += nb
                if v is not None:
                    compiled[(name, prec, batch)] = v
                print(f"compile {name} {prec} b{batch}: {secs:.0f} s{'' if v else ' (skipped)'}", flush=True)

    variants = [*eager.values(), *compiled.values()]
    small, big = [v for v in variants if v.batch == 1], [v for v in variants if v.batch != 1]
    time_variants(small, args.runs, args.warmup, sync)
    time_variants(big, args.big_runs, max(1, args.warmup // 3), sync, seed=1)
    gaps = {k: parity(eager[k], v) for k, v in compiled.items() if k[2] == 1}
    rows = table_rows(args, eager, compiled, gaps, compile_s, breaks, notes)

    if cuda:
        card = (f"{torch.cuda.get_device_name(device)}, CUDA {torch.version.cuda}, "
                f"cuDNN {torch.backends.cudnn.version()}")
    else:
        card = f"CPU {cpu_name()}, {torch.get_num_threads()} threads"
    path = "eager only" if args.compile == "none" else (
        f"torch.compile(model, mode='{args.compile}')" if args.backend == "inductor"
        else f"torch.compile(model, backend='{args.backend}')")
    header = [f"{card}; torch {torch.__version__}; ultralytics {ULTRALYTICS_VERSION}",
              f"imgsz {args.imgsz}, nc {args.nc}, fused, random weights; compiled = {path}; FP32 "
              f"{'with TF32' if args.tf32 else 'strict (TF32 off)'}; median of {args.runs} interleaved batch-1 rounds "
              f"and {args.big_runs} batch-{args.big_batch} rounds; {time.monotonic() - start:.0f} s in all"]
    return header, rows


def table_rows(args, eager, compiled, gaps, compile_s, breaks, notes):
    """One dict per model with the COLUMNS keys ('' where a variant was skipped)."""
    def ms(d, k):
        return statistics.median(d[k].times) if k in d else None

    rows = []
    for name in args.models:
        b1 = {(prec, path): ms(d, (name, prec, 1)) for prec in ("fp32", "fp16")
              for path, d in (("eager", eager), ("compiled", compiled))}
        best = min((t, k) for k, t in b1.items() if t is not None)
        big = {path: ms(d, (name, "fp16", args.big_batch)) for path, d in (("eager", eager), ("compiled", compiled))}
        rows.append({"model": name, **{f"{p}_{q}_ms": t for (p, q), t in b1.items()},
                     "best_fps": 1e3 / best[0], "best_path": f"{best[1][0]} {best[1][1]}",
                     **{f"big_fp16_{q}_img_s": args.big_batch * 1e3 / t if t else None for q, t in big.items()},
                     "parity_fp32_max_abs": gaps.get((name, "fp32", 1), (None,))[0],
                     "parity_fp16_max_abs": gaps.get((name, "fp16", 1), (None,))[0],
                     "output_max_abs": gaps.get((name, "fp32", 1), (None, None))[1],
                     "graph_breaks": breaks[name] if (name, "fp16", 1) in compiled else None,
                     "compile_s": compile_s[name], "note": "; ".join(notes[name])})
    ref = next((r["best_fps"] for r in rows if r["model"] == "yolov8n"), rows[0]["best_fps"])
    for r in rows:
        r["best_fps_vs_yolov8n"] = r["best_fps"] / ref
    return rows


def cell(key, value):
    """Markdown/CSV text of one value."""
    if value is None:
        return "–"
    if key.startswith(("parity", "output")):
        return f"{value:.1e}"
    if isinstance(value, float):
        return f"{value:.2f}" if key.endswith(("_ms", "vs_yolov8n")) else f"{value:.0f}"
    return str(value)


def markdown(header, rows, big_batch):
    """The result table with its header lines and the issue's target lines."""
    head = ["model", "FP32 eager ms", "FP32 compiled ms", "FP16 eager ms", "FP16 compiled ms", "best FPS (b1)",
            "best path", "best FPS / yolov8n", f"b{big_batch} FP16 eager img/s", f"b{big_batch} FP16 compiled img/s",
            "parity FP32 max abs", "parity FP16 max abs", "FP32 output max abs", "graph breaks", "compile s", "note"]
    lines = [*header, "", *md_table(head, [[cell(k, r[k]) for k in COLUMNS] for r in rows])]
    sd = next((r for r in rows if r["model"] == "sdgasnet-n"), None)
    if sd:
        met = "met" if sd["best_fps"] >= FPS_TARGET else "not met"
        lines += ["", f"sdgasnet-n best batch-1 FPS {sd['best_fps']:.0f} ({sd['best_path']}), target {FPS_TARGET:.0f}: "
                      f"{met}; {sd['best_fps_vs_yolov8n']:.2f}x yolov8n's best"]
    gaps = [(r["parity_fp32_max_abs"], r["output_max_abs"]) for r in rows if r["parity_fp32_max_abs"] is not None]
    if gaps:
        gap, scale = max(gaps)
        lines.append(f"FP32 eager vs compiled, worst max abs diff {gap:.1e} (outputs up to {scale:.1e}, boxes in "
                     f"pixels), target {PARITY_TARGET:.0e}: {'met' if gap <= PARITY_TARGET else 'not met'}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- accuracy part
def accuracy(args):
    """Run benchmarks.accuracy once per (model, seed), all at once on the one device; merge their result CSVs
    into <out>/accuracy-gpu-e<epochs>-i<imgsz>.csv, print its report of them and return its text."""
    args.acc_dir.mkdir(parents=True, exist_ok=True)
    check_det_dataset("synthetic-defects.yaml")  # draw the dataset once here: parallel runs would race to draw it
    runs = len(args.acc_models) * len(args.acc_seeds)
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // runs)),  # runs share the cores
           "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))}  # for -m
    common = ["--data", "synthetic-defects.yaml", "--epochs", str(args.acc_epochs), "--imgsz", str(args.acc_imgsz),
              "--fraction", str(args.acc_fraction), "--device", args.device, "--workers", str(args.acc_workers),
              "--out", str(args.acc_dir / "runs")]
    procs = {}
    for model in args.acc_models:
        for seed in args.acc_seeds:
            part = args.acc_dir / f"{model}-seed{seed}"
            part.mkdir(exist_ok=True)
            cmd = [sys.executable, "-m", "benchmarks.accuracy", *common, "--models", model,
                   "--seeds", str(seed), "--results", str(part / "accuracy-part.csv")]
            procs[part] = subprocess.Popen(cmd, stdout=open(part / "log.txt", "w"), stderr=subprocess.STDOUT, env=env)
    print(f"accuracy: {len(procs)} runs started in parallel, logs in {args.acc_dir}/*/log.txt", flush=True)
    end, failed = time.monotonic() + args.acc_budget, []
    for part, proc in procs.items():
        try:
            proc.wait(timeout=max(1.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait()
        if proc.returncode:
            failed.append(f"{part.name} (exit {proc.returncode})")
            print(f"--- {part.name} failed; end of its log:\n{(part / 'log.txt').read_text()[-2000:]}", flush=True)
    save_curves(args)
    merged = merge_parts(sorted(args.acc_dir.glob("*/accuracy-part.csv")),
                         args.out / f"accuracy-gpu-e{args.acc_epochs}-i{args.acc_imgsz}.csv")
    text = f"accuracy runs that did not finish: {', '.join(failed)}\n" if failed else ""
    if merged:
        report = subprocess.run([sys.executable, "-m", "benchmarks.accuracy", *common, "--report",
                                 "--results", str(merged)], capture_output=True, text=True, env=env)
        text += report.stdout + report.stderr[-2000:]
    print(text, flush=True)
    return text


def save_curves(args):
    """Copy each run's per-epoch results.csv, finished or stopped by the budget, to <out>/curves-e<epochs>-i<imgsz>/
    <model>-seed<k>.csv: a stopped run writes no accuracy row, but its validation curve still comes back."""
    dest = args.out / f"curves-e{args.acc_epochs}-i{args.acc_imgsz}"
    for curve in sorted((args.acc_dir / "runs").glob("*/seed*/results.csv")):
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(curve, dest / f"{curve.parent.parent.name}-{curve.parent.name}.csv")


def merge_parts(parts, dest):
    """merge_csv of the runs' results CSVs into dest, and of the bootstrap and curve files beside them into those
    beside dest (boot_path, curve_path), so that the report of dest has its intervals and learning curves."""
    for side in (boot_path, curve_path):
        merge_csv([side(p) for p in parts if side(p).is_file()], side(dest))
    return merge_csv(parts, dest)


def merge_csv(parts, dest):
    """Concatenate result CSVs (header = union of their columns) into dest; returns dest, or None if no rows."""
    rows = []
    for path in parts:
        with open(path, newline="") as f:
            rows += list(csv.DictReader(f))
    if not rows:
        return None
    write_rows(dest, rows)
    return dest


def main(argv=None):
    """Speed part (table to stdout, gpu.md and gpu.csv in --out), then the accuracy part if asked."""
    args = parse_args(argv)
    sdgas_ultra.activate()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.skip_speed:
        header, rows = speed(args)
        text = markdown(header, rows, args.big_batch)
        print("\n" + text, flush=True)
        (args.out / "gpu.md").write_text(text)
        with open(args.out / "gpu.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            w.writerows([[cell(k, r[k]) if k.startswith(("parity", "output")) else r[k] for k in COLUMNS]
                         for r in rows])
    if args.accuracy:
        (args.out / "accuracy.md").write_text(accuracy(args))


if __name__ == "__main__":
    main()
