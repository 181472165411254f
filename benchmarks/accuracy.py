# sdgas-ultra, AGPL-3.0
"""Accuracy benchmark (issue #6): train every model from scratch under one protocol, then compare them.

    python benchmarks/accuracy.py --data synthetic-defects.yaml --epochs 100 --imgsz 640 --seeds 0 1 2

Each (model, seed) run trains with the same settings into <out>/<model>/seed<k>/ and, once it has finished and
best.pt has been re-validated, writes result.json there. That file marks the run as done: a rerun skips it, and a
folder without it (an interrupted run) is deleted and trained again. 'sdgasnet-n+sd' is sdgasnet-n distilled with
the enhanced KL from the sdgasnet-n run of the same seed, which is reused as its teacher rather than trained twice.
The report (<out>/accuracy.md, accuracy.json, accuracy.png) is rebuilt on every invocation; latency is measured then,
for all models together, so that the load on a shared machine affects them alike.
"""

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

BASELINES = ("yolov8n", "yolo11n", "yolo26n")
LADDER = ("sdgas-a0-pan-n", "sdgas-a1-figa-n", "sdgas-a2-fgpem-n", "sdgasnet-n")  # ablation, one module added per step
# benchmark name -> model YAML; every model is built from scratch, no weights are downloaded
MODELS = {**{m: f"{m}.yaml" for m in BASELINES + LADDER}, "sdgasnet-n+sd": "sdgasnet-n.yaml"}
TEACHERS = {"sdgasnet-n+sd": "sdgasnet-n"}  # distilled model -> model whose run of the same seed is its teacher
RESULT = "result.json"
LATENCY_IMGSZ = 640


def parse_args(argv=None):
    """Parse and check the command line; errors exit with a message naming the bad option."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", default="synthetic-defects.yaml", help="dataset YAML, the same for every run")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--imgsz", type=int, default=640, help="training and validation image size")
    p.add_argument("--batch", type=int, default=16, help="fixed batch size (no auto-batch: it would differ per model)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--models", nargs="+", default=list(MODELS), metavar="MODEL", help=f"any of: {' '.join(MODELS)}")
    p.add_argument("--optimizer", default="SGD", help="one optimizer for all ('auto' picks by iteration count)")
    p.add_argument("--workers", type=int, default=0, help="dataloader workers")
    p.add_argument("--device", default="cpu", help="training device (latency is always measured on the CPU)")
    p.add_argument("--fraction", type=float, default=1.0, help="fraction of the training set to use")
    p.add_argument("--latency-runs", type=int, default=50, help="timed batch-1 passes per model at 640 (0: skip)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads while timing latency")
    p.add_argument("--out", type=Path, default=Path("runs/accuracy"), help="output folder, one sub-folder per run")
    args = p.parse_args(argv)
    check_args(p, args)
    return args


def check_args(parser, args):
    """Reject values that would make runs differ or fail late; make --out absolute (ultralytics moves relative ones)."""
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; valid names: {', '.join(MODELS)}")
    for key, low in {"epochs": 1, "imgsz": 1, "batch": 1, "threads": 1, "workers": 0, "latency_runs": 0}.items():
        if getattr(args, key) < low:
            parser.error(f"--{key.replace('_', '-')} must be at least {low}, got {getattr(args, key)}")
    if not 0 < args.fraction <= 1:
        parser.error(f"--fraction must be in (0, 1], got {args.fraction}")
    if len(set(args.seeds)) != len(args.seeds) or len(set(args.models)) != len(args.models):
        parser.error("--seeds and --models must not repeat an entry")
    args.out = args.out.resolve()


def settings(args):
    """Training settings that all runs share (the seed is per run); stored in each result.json to guard resumes."""
    keys = ("data", "epochs", "imgsz", "batch", "optimizer", "workers", "fraction")
    return {k: getattr(args, k) for k in keys}


def with_teachers(models):
    """The models in run order: each teacher (added if not requested) right before the first model it teaches."""
    order = []
    for model in models:
        for name in (TEACHERS.get(model), model):
            if name and name not in order:
                order.append(name)
    return order


def run_dir(out, model, seed):
    """Folder of one run: <out>/<model>/seed<k>."""
    return Path(out) / model / f"seed{seed}"


def load_result(folder, expected):
    """The finished run's result, or None if it has not finished; exits if it was trained with other settings."""
    path = Path(folder) / RESULT
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    if result["settings"] != expected:
        raise SystemExit(f"{path} was trained with {result['settings']}, not {expected}: use another --out")
    return result


def write_result(folder, result):
    """Write result.json atomically, so that it exists only complete."""
    tmp = Path(folder) / f"{RESULT}.tmp"
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(Path(folder) / RESULT)


def clear_unfinished(folder):
    """Delete what an interrupted run left, so that it restarts from scratch."""
    if Path(folder).exists():
        print(f"  removing unfinished run {folder}")
        shutil.rmtree(folder)


def load_fused(weights):
    """The detection model of a checkpoint on the CPU: FP32, BN folded, eval mode."""
    from sdgas_ultra import SDGASModel

    return SDGASModel(str(weights)).model.cpu().float().fuse(verbose=False).eval()


def train_one(model, seed, args, folder):
    """Train one run from scratch and re-validate its best.pt; returns its metrics and model size."""
    from sdgas_ultra import SDGASModel

    extra = {}
    if model in TEACHERS:
        extra["distill_model"] = str(run_dir(args.out, TEACHERS[model], seed) / "weights" / "best.pt")
    yolo = SDGASModel(MODELS[model])
    yolo.train(**settings(args), seed=seed, deterministic=True, pretrained=False, device=args.device, plots=False,
               project=str(folder.parent), name=folder.name, exist_ok=True, **extra)
    weights = folder / "weights" / "best.pt"
    return {"weights": str(weights.relative_to(folder)), **evaluate(weights, args, folder)}


def evaluate(weights, args, folder):
    """mAP50, mAP50-95 and per-class AP50 of a checkpoint on the val split, plus fused params and GFLOPs."""
    from sdgas_ultra import SDGASModel
    from ultralytics.utils.torch_utils import get_flops, get_num_params

    metrics = SDGASModel(str(weights)).val(data=args.data, imgsz=args.imgsz, batch=args.batch, device=args.device,
                                           workers=args.workers, plots=False, project=str(folder), name="val",
                                           exist_ok=True)
    box, net = metrics.box, load_fused(weights)
    return {
        "map50": float(box.map50),
        "map50_95": float(box.map),
        "classes": list(metrics.names.values()),
        "ap50": {metrics.names[c]: float(box.ap50[i]) for i, c in enumerate(box.ap_class_index)},
        "params": get_num_params(net),
        "gflops": get_flops(net, args.imgsz),
        "gflops640": get_flops(net, LATENCY_IMGSZ),
    }


def run_all(args):
    """Train every run not finished yet, seed by seed; returns {model: [result per seed]}."""
    expected, order = settings(args), with_teachers(args.models)
    todo = [(model, seed) for seed in args.seeds for model in order]  # seed-major: each seed gives a full table
    results, start = {model: [] for model in order}, time.time()
    for k, (model, seed) in enumerate(todo, 1):
        folder, tag = run_dir(args.out, model, seed), f"[{k}/{len(todo)}] {model} seed {seed}"
        result = load_result(folder, expected)
        if result:
            print(f"{tag}: finished earlier, skipped (mAP50 {result['map50']:.3f})")
        else:
            print(f"{tag}: training")
            clear_unfinished(folder)
            t0 = time.time()
            result = {"model": model, "seed": seed, "settings": expected, **train_one(model, seed, args, folder)}
            result["train_s"] = round(time.time() - t0, 1)
            write_result(folder, result)
            print(f"{tag}: done in {result['train_s']:.0f} s, mAP50 {result['map50']:.3f} "
                  f"(elapsed {time.time() - start:.0f} s)")
        results[model].append(result)
    return results


def mean_std(values):
    """Mean and sample standard deviation (0.0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def fmt(values, scale=100.0, digits=1):
    """'mean ± std' of values times scale; the mean alone for one value, '–' for none."""
    if not values:
        return "–"
    mean, std = mean_std([v * scale for v in values])
    return f"{mean:.{digits}f}" if len(values) == 1 else f"{mean:.{digits}f} ± {std:.{digits}f}"


def summarize(results):
    """Per model: size from its first run, and each metric as a list over its seeds."""
    rows = {}
    for model, runs in results.items():
        first = runs[0]
        rows[model] = {
            **{k: first[k] for k in ("params", "gflops", "gflops640")},
            "seeds": [r["seed"] for r in runs],
            "map50": [r["map50"] for r in runs],
            "map50_95": [r["map50_95"] for r in runs],
            "ap50": {c: [r["ap50"][c] for r in runs if c in r["ap50"]] for c in first["classes"]},
        }
    return rows


def md_table(head, body):
    """Markdown table lines from a header and rows of cells."""
    return [f"| {' | '.join(head)} |", f"|{'---|' * len(head)}", *(f"| {' | '.join(map(str, r))} |" for r in body)]


def markdown(rows, latency, args):
    """The report: protocol, one table of size/speed/mAP and one of per-class AP50."""
    head = ["Model", "Params (M)", f"GFLOPs@{args.imgsz}", "GFLOPs@640", "CPU ms@640", "mAP50 (%)", "mAP50-95 (%)"]
    body = [[m, f"{r['params'] / 1e6:.2f}", f"{r['gflops']:.2f}", f"{r['gflops640']:.2f}",
             f"{latency[m]:.1f}" if m in latency else "–", fmt(r["map50"]), fmt(r["map50_95"])]
            for m, r in rows.items()]
    classes = list(next(iter(rows.values()))["ap50"]) if rows else []
    per_class = [[m, *(fmt(r["ap50"].get(c, [])) for c in classes)] for m, r in rows.items()]
    protocol = (f"Data `{args.data}`, {args.epochs} epochs from scratch, imgsz {args.imgsz}, batch {args.batch}, "
                f"optimizer {args.optimizer}, fraction {args.fraction}, seeds {' '.join(map(str, args.seeds))}; "
                f"AP of best.pt on the val split, mean ± sample std over seeds. Params and GFLOPs of the fused model. "
                f"Latency: median of {args.latency_runs} interleaved batch-1 forward passes (no NMS) of the fused "
                f"FP32 model on the CPU, {args.threads} torch thread(s).")
    return "\n".join(["# Accuracy benchmark", "", protocol, "", *md_table(head, body), "", "## Per-class AP50 (%)", "",
                      *md_table(["Model", *classes], per_class), ""])


def measure_latency(weights, runs, threads, warmup=3):
    """Median CPU batch-1 latency (ms) at 640 per model; passes rotate through the models, so drift hits all alike."""
    import torch

    torch.set_num_threads(threads)
    nets = {m: load_fused(w) for m, w in weights.items()}
    images = {m: torch.zeros(1, next(n.parameters()).shape[1], LATENCY_IMGSZ, LATENCY_IMGSZ) for m, n in nets.items()}
    times, names = {m: [] for m in nets}, list(nets)
    with torch.inference_mode():
        for i in range(warmup + runs):
            for m in names[i % len(names):] + names[: i % len(names)]:
                t0 = time.perf_counter()
                nets[m](images[m])
                if i >= warmup:
                    times[m].append((time.perf_counter() - t0) * 1e3)
    return {m: statistics.median(t) for m, t in times.items()}


def plot(rows, latency, path, title):
    """PNG of mAP50 (mean, error bar = std over seeds) against CPU latency; SD-GASNet variants in orange."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for m, r in rows.items():
        mean, std = mean_std([v * 100 for v in r["map50"]])
        ax.errorbar(latency[m], mean, yerr=std, fmt="o", capsize=3, color="C1" if m.startswith("sdgas") else "C0")
        ax.annotate(m, (latency[m], mean), textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set(xlabel="CPU latency at 640, batch 1 (ms)", ylabel="mAP50 (%)", title=title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main(argv=None):
    """Train what is missing, then write and print the report."""
    args = parse_args(argv)
    results = run_all(args)
    rows = summarize(results)
    latency = {}
    if args.latency_runs:
        print(f"timing {len(rows)} models, {args.latency_runs} passes each ...")
        weights = {m: run_dir(args.out, m, runs[0]["seed"]) / runs[0]["weights"] for m, runs in results.items()}
        latency = measure_latency(weights, args.latency_runs, args.threads)
    text = markdown(rows, latency, args)
    (args.out / "accuracy.md").write_text(text)
    summary = {"settings": settings(args), "seeds": args.seeds, "latency_ms": latency, "models": rows}
    (args.out / "accuracy.json").write_text(json.dumps(summary, indent=1))
    if latency:
        title = f"{args.data}: {args.epochs} epochs, imgsz {args.imgsz}, {len(args.seeds)} seed(s)"
        plot(rows, latency, args.out / "accuracy.png", title)
    print(text)
    print(f"report: {args.out / 'accuracy.md'}")


if __name__ == "__main__":
    main()
