# sdgas-ultra, AGPL-3.0
"""Params, GFLOPs and CPU batch-1 latency of sdgasnet-n against YOLOv8n, YOLO11n and YOLO26n, measured in one run.

    python -m benchmarks.speed [--imgsz 640] [--runs 30] [--threads N] [--models sdgasnet-n.yaml yolov8n.yaml ...]
    python -m benchmarks.speed --nc 6 --csv benchmarks/results/speed-cpu.csv --models ...  # feeds the accuracy plot

GFLOPs are counted by thop on a full-size forward pass (every conv, and the DCT matrix products through thop's
functional counting). ultralytics' own summary extrapolates from thin proxy images, which is exact for convolutions
but not for the DCT (its cost grows faster than the image area); both numbers are printed. Latency: fused models in
eval mode, torch.inference_mode, models timed in turn within each round (interleaved, benchmarks/common/timing.py)
so machine noise hits all equally; the median over rounds is reported, and the ratio to yolov8n both as a ratio of
medians and as the median [interquartile range] of the per-round ratios (paired by round, so a slow spell of the
machine cancels out). This is a benchmark, not a test.
"""

import os
import statistics
from copy import deepcopy

import thop
import torch
from ultralytics.utils.torch_utils import get_flops

from benchmarks.common import cli
from benchmarks.common.models import build
from benchmarks.common.report import cpu_name, md_table
from benchmarks.common.results import write_rows
from benchmarks.common.timing import interleaved

DEFAULT_MODELS = ["sdgasnet-n.yaml", "yolov8n.yaml", "yolo11n.yaml", "yolo26n.yaml"]


def parse_args(argv=None):
    """Parse and check the command line; errors exit with a message naming the bad option."""
    p = cli.parser(__doc__, "speed")
    p.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--nc", type=int, default=80, help="classes for every model (COCO-sized heads by default)")
    p.add_argument("--csv", help="also write one row per model (latency and its ratio to the reference) to this CSV; "
                                 "benchmarks.accuracy --docs plots test mAP50 against it")
    args = p.parse_args(argv)
    cli.at_least(p, args, {"imgsz": 32, "runs": 2, "threads": 1, "nc": 1})  # quartiles need 2 rounds
    return args


def exact_gflops(model, imgsz):
    """GFLOPs (2 x multiply-adds) of one forward pass at imgsz x imgsz, counted at full size."""
    x = torch.zeros(1, model.yaml.get("channels", 3), imgsz, imgsz)
    return thop.profile(deepcopy(model), inputs=[x], verbose=False)[0] * 2 / 1e9


def latency(models, imgsz, runs, warmup=3):
    """Batch-1 latencies (ms) per model, one per round, the models timed in turn each round."""
    x = {n: torch.rand(1, m.yaml.get("channels", 3), imgsz, imgsz) for n, m in models.items()}
    with torch.inference_mode():
        return interleaved({n: (lambda n=n: models[n](x[n])) for n in models}, runs, warmup)


def reference(times):
    """The model the ratios are relative to: yolov8n when measured, else the first."""
    return "yolov8n" if "yolov8n" in times else next(iter(times))


def csv_rows(models, times, args):
    """One row per model: set-up, size, median latency and its ratio to the reference (ratio of medians)."""
    ms = {n: statistics.median(t) for n, t in times.items()}
    ref = reference(times)
    return [{"model": n, "imgsz": args.imgsz, "nc": args.nc, "threads": args.threads, "runs": args.runs,
             "params": sum(p.numel() for p in m.parameters()), "latency_ms": round(ms[n], 2),
             "latency_ratio": round(ms[n] / ms[ref], 4), "reference": ref} for n, m in models.items()]


def table(models, times, args):
    """Markdown table: size, both GFLOPs counts and latency of each model, and their ratios to the reference."""
    ms = {n: statistics.median(t) for n, t in times.items()}
    ref = reference(times)
    params = {n: sum(p.numel() for p in m.parameters()) for n, m in models.items()}
    body = []
    for n, model in models.items():
        q1, q2, q3 = statistics.quantiles([a / b for a, b in zip(times[n], times[ref])], n=4)
        body.append([n, f"{params[n] / 1e6:.2f}", f"{exact_gflops(model, args.imgsz):.2f}",
                     f"{get_flops(model, args.imgsz):.2f}", f"{ms[n]:.1f}", f"{ms[n] / ms[ref]:.2f}x",
                     f"{q2:.2f}x [{q1:.2f}, {q3:.2f}]", f"{params[n] / params[ref]:.2f}x"])
    head = ["model", "params (M)", "GFLOPs (thop, full size)", "GFLOPs (ultralytics summary)", "latency (ms)",
            f"latency / {ref}", "per-round ratio, median [IQR]", f"params / {ref}"]
    return "\n".join(md_table(head, body))


def main(argv=None):
    """Build every model, time them interleaved, print the set-up line and the table."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    models = {name.removesuffix(".yaml"): build(name, args.nc) for name in args.models}
    times = latency(models, args.imgsz, args.runs)
    print(f"\nCPU: {cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, {args.threads} threads, imgsz "
          f"{args.imgsz}, batch 1, nc {args.nc}, median of {args.runs} interleaved runs")
    print(table(models, times, args))
    if args.csv:
        write_rows(args.csv, csv_rows(models, times, args))
        print(f"wrote {args.csv}")


if __name__ == "__main__":
    main()
