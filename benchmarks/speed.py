# sdgas-ultra, AGPL-3.0
"""Params, GFLOPs and CPU batch-1 latency of sdgasnet-n against YOLOv8n, YOLO11n and YOLO26n, measured in one run.

    python benchmarks/speed.py [--imgsz 640] [--runs 30] [--threads N] [--models sdgasnet-n.yaml yolov8n.yaml ...]

GFLOPs are counted by thop on a full-size forward pass (every conv, and the DCT matrix products through thop's
functional counting). ultralytics' own summary extrapolates from thin proxy images, which is exact for convolutions
but not for the DCT (its cost grows faster than the image area); both numbers are printed. Latency: fused models in
eval mode, torch.inference_mode, models timed in turn within each round (interleaved) so machine noise hits all
equally; the median over rounds is reported, and the ratio to yolov8n both as a ratio of medians and as the median
[interquartile range] of the per-round ratios (paired by round, so a slow spell of the machine cancels out). This is
a benchmark, not a test.
"""

import argparse
import os
import platform
import statistics
import time
from copy import deepcopy

os.environ.setdefault("YOLO_OFFLINE", "1")

import thop  # noqa: E402
import torch  # noqa: E402
from ultralytics import YOLO  # noqa: E402
from ultralytics.utils.torch_utils import get_flops  # noqa: E402

import sdgas_ultra  # noqa: E402

DEFAULT_MODELS = ["sdgasnet-n.yaml", "yolov8n.yaml", "yolo11n.yaml", "yolo26n.yaml"]


def exact_gflops(model, imgsz):
    """GFLOPs (2 x multiply-adds) of one forward pass at imgsz x imgsz, counted at full size."""
    x = torch.zeros(1, model.yaml.get("channels", 3), imgsz, imgsz)
    return thop.profile(deepcopy(model), inputs=[x], verbose=False)[0] * 2 / 1e9


def latency(models, imgsz, runs, warmup=3):
    """Batch-1 latencies (ms) per model, one per round, timing the models in turn each round."""
    x = {n: torch.rand(1, m.yaml.get("channels", 3), imgsz, imgsz) for n, m in models.items()}
    times = {n: [] for n in models}
    with torch.inference_mode():
        for n, m in models.items():
            for _ in range(warmup):
                m(x[n])
        for _ in range(runs):
            for n, m in models.items():
                t = time.perf_counter()
                m(x[n])
                times[n].append((time.perf_counter() - t) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--nc", type=int, default=80, help="classes for every model (COCO-sized heads by default)")
    args = parser.parse_args()
    sdgas_ultra.activate()
    torch.set_num_threads(args.threads)

    models = {}
    for name in args.models:
        yolo = YOLO(name)
        model = yolo.model if args.nc is None else type(yolo.model)(yolo.model.yaml, nc=args.nc, verbose=False)
        models[name.removesuffix(".yaml")] = model.fuse().eval()
    times = latency(models, args.imgsz, args.runs)
    ms = {n: statistics.median(t) for n, t in times.items()}
    ref_name = "yolov8n" if "yolov8n" in ms else next(iter(ms))
    ref_params = sum(p.numel() for p in models[ref_name].parameters())

    print(f"\nCPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{args.threads} threads, imgsz {args.imgsz}, batch 1, nc {args.nc}, median of {args.runs} interleaved runs")
    print(f"| model | params (M) | GFLOPs (thop, full size) | GFLOPs (ultralytics summary) | latency (ms) | "
          f"latency / {ref_name} | per-round ratio, median [IQR] | params / {ref_name} |")
    print("|---|---|---|---|---|---|---|---|")
    for name, model in models.items():
        params = sum(p.numel() for p in model.parameters())
        q1, q2, q3 = statistics.quantiles([a / b for a, b in zip(times[name], times[ref_name])], n=4)
        print(f"| {name} | {params / 1e6:.2f} | {exact_gflops(model, args.imgsz):.2f} | "
              f"{get_flops(model, args.imgsz):.2f} | {ms[name]:.1f} | {ms[name] / ms[ref_name]:.2f}x | "
              f"{q2:.2f}x [{q1:.2f}, {q3:.2f}] | {params / ref_params:.2f}x |")


if __name__ == "__main__":
    main()
