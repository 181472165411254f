# sdgas-ultra, AGPL-3.0
"""Accuracy protocol: train models from scratch, paired over seeds, and compare them with paired intervals.

    python benchmarks/accuracy.py --epochs 40 --imgsz 192 --seeds 0 1 2 --models yolov8n sdgasnet-n   # train
    python benchmarks/accuracy.py --report --docs docs/benchmarks.md                                   # tables

Paired: every model of a seed trains with the same seed (weights init and data order, `deterministic=True`), the same
data and the same budget, so model differences are measured per seed and their mean gets a Student-t 95 % interval.

Each (model, seed) run trains into <out>/<model>/seed<k>/ (not committed) and, once best.pt has been re-validated,
appends one row to the results CSV (default benchmarks/results/accuracy-<data>-e<epochs>-i<imgsz>.csv, committed):
that row marks the run as done, so a rerun skips it and a later session resumes where this one stopped. A folder
without a row (an interrupted run) is deleted and trained again. `--report` trains nothing: it rebuilds the tables
from every CSV under benchmarks/results/ (one section per protocol) and, with --docs, rewrites the block between the
accuracy markers of that Markdown file. `--device 0` runs the same protocol on a GPU.
"""

import argparse
import csv
import math
import shutil
import statistics
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BASELINES = ("yolov8n", "yolo11n", "yolo26n")
# ablation ladder, one change per step, from the yolov8n network to sdgasnet-n. Its first step, sdgas-a0-pan, builds
# yolov8n layer for layer and trains to the same digits on a seed, so the ladder starts from yolov8n's rows.
LADDER = ("yolov8n", "sdgas-a1-head-n", "sdgas-a2-figa-n", "sdgas-a3-cs-n", "sdgas-a4-fgpem-n", "sdgas-a5-cs-channel-n",
          "sdgasnet-n")
# leads (cfg/models/ablation/sdgas-l*.yaml): lead -> the model it changes, reported against it. A lead that wins
# becomes a ladder step (max-pooled MFA, lead l2, is a5 -> sdgasnet); the others stay here with their numbers.
LEADS = {"sdgas-l1-late-inject-n": "sdgas-a5-cs-channel-n", "sdgas-l3-no-fgpem-n": "sdgasnet-n",
         "sdgas-l4-fgpem-no-cs-n": "sdgas-a2-figa-n"}
# benchmark name -> model YAML; every model is built from scratch, no weights are downloaded. Self-distillation has
# its own benchmark (benchmarks/distill.py): its student must not share the teacher's seed.
MODELS = {m: f"{m}.yaml" for m in (*BASELINES, "sdgas-a0-pan-n", *LADDER, *LEADS)}
# (model, reference): reported as model minus reference, paired over the seeds both have
COMPARISONS = (
    *(("sdgasnet-n", b) for b in BASELINES),
    *zip(LADDER[1:], LADDER[:-1]),
    *LEADS.items(),
)
SETTINGS = ("data", "epochs", "imgsz", "batch", "optimizer", "fraction")
MARK_BEGIN, MARK_END = "<!-- accuracy:begin -->", "<!-- accuracy:end -->"
# two-sided 95 % Student-t quantiles t(0.975, df) for df = 1..30; larger df use the normal 1.96
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def parse_args(argv=None):
    """Parse and check the command line; errors exit with a message naming the bad option."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", default="synthetic-defects.yaml", help="dataset YAML, the same for every run")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--imgsz", type=int, default=192, help="training and validation image size")
    p.add_argument("--batch", type=int, default=16, help="fixed batch size (no auto-batch: it would differ per model)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--models", nargs="+", default=["yolov8n", "yolo11n", "sdgasnet-n"], metavar="MODEL",
                   help=f"any of: {' '.join(MODELS)}")
    p.add_argument("--optimizer", default="auto", help="one optimizer for all ('auto' picks by iteration count)")
    p.add_argument("--workers", type=int, default=0, help="dataloader workers")
    p.add_argument("--device", default="cpu", help="training device, e.g. cpu or 0")
    p.add_argument("--fraction", type=float, default=1.0, help="fraction of the training set to use")
    p.add_argument("--out", type=Path, default=Path("runs/accuracy"), help="run folders, one per (model, seed)")
    p.add_argument("--results", type=Path, help="results CSV (default: benchmarks/results/accuracy-<protocol>.csv)")
    p.add_argument("--report", action="store_true", help="train nothing; print the tables of every results CSV")
    p.add_argument("--docs", type=Path, help="with --report: rewrite the accuracy block of this Markdown file")
    args = p.parse_args(argv)
    check_args(p, args)
    return args


def check_args(parser, args):
    """Reject values that would make runs differ or fail late; make paths absolute (ultralytics moves relative ones)."""
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; valid names: {', '.join(MODELS)}")
    for key, low in {"epochs": 1, "imgsz": 32, "batch": 1, "workers": 0}.items():
        if getattr(args, key) < low:
            parser.error(f"--{key} must be at least {low}, got {getattr(args, key)}")
    if not 0 < args.fraction <= 1:
        parser.error(f"--fraction must be in (0, 1], got {args.fraction}")
    if len(set(args.seeds)) != len(args.seeds) or len(set(args.models)) != len(args.models):
        parser.error("--seeds and --models must not repeat an entry")
    if args.docs and not args.report:
        parser.error("--docs goes with --report")
    args.out = args.out.resolve()
    args.results = (args.results or RESULTS_DIR / f"accuracy-{protocol_tag(settings(args))}.csv").resolve()


def settings(args):
    """Training settings that all runs of one protocol share (the seed is per run)."""
    return {k: getattr(args, k) for k in SETTINGS}


def protocol_tag(s):
    """Short file-name tag of a protocol, e.g. synthetic-defects-e40-i192 (-f0.5 when a fraction is used)."""
    tag = f"{Path(str(s['data'])).stem}-e{s['epochs']}-i{s['imgsz']}"
    return tag + (f"-f{s['fraction']:g}" if float(s["fraction"]) < 1 else "")


def run_dir(out, model, seed):
    """Folder of one run: <out>/<model>/seed<k>."""
    return Path(out) / model / f"seed{seed}"


# ---------------------------------------------------------------------------------------------- results CSV
def read_rows(path):
    """Rows of a results CSV as dicts with numbers parsed (seed int; metrics float); [] if the file is absent."""
    if not Path(path).is_file():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k, v in r.items():
            if k == "seed" or k in ("epochs", "imgsz", "batch"):
                r[k] = int(v)
            elif k in ("fraction", "map50", "map50_95", "params", "gflops640", "train_s") or k.startswith("ap50:"):
                r[k] = float(v) if v != "" else None
    return rows


def append_row(path, row):
    """Append one run's row; the header is the union of columns, so the file is rewritten (atomically, and under a
    lock, so that benchmark processes running side by side never drop each other's rows)."""
    import fcntl

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(Path(path).with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows = read_rows(path) + [row]
        columns = list(dict.fromkeys(k for r in rows for k in r))
        tmp = Path(path).with_suffix(".csv.tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, columns, restval="")
            w.writeheader()
            w.writerows(rows)
        tmp.replace(path)


def done(rows, model, seed, expected):
    """The finished row of (model, seed), or None; exits if it was trained with other settings."""
    for r in rows:
        if r["model"] == model and r["seed"] == seed:
            got = {k: r[k] for k in SETTINGS}
            if {k: str(v) for k, v in got.items()} != {k: str(v) for k, v in expected.items()}:
                raise SystemExit(f"{model} seed {seed} in the results CSV was trained with {got}, not {expected}")
            return r
    return None


# ---------------------------------------------------------------------------------------------- training
def train_one(model, seed, args, folder):
    """Train one run from scratch and re-validate its best.pt; returns its metrics and model size."""
    from sdgas_ultra import SDGASModel

    yolo = SDGASModel(MODELS[model])
    yolo.train(**settings(args), seed=seed, deterministic=True, pretrained=False, device=args.device, plots=False,
               workers=args.workers, project=str(folder.parent), name=folder.name, exist_ok=True)
    return evaluate(folder / "weights" / "best.pt", args, folder)


def evaluate(weights, args, folder):
    """mAP50, mAP50-95 and per-class AP50 of a checkpoint on the val split, plus fused params and GFLOPs at 640."""
    from sdgas_ultra import SDGASModel
    from ultralytics.utils.torch_utils import get_flops, get_num_params

    metrics = SDGASModel(str(weights)).val(data=args.data, imgsz=args.imgsz, batch=args.batch, device=args.device,
                                           workers=args.workers, plots=False, project=str(folder), name="val",
                                           exist_ok=True)
    box = metrics.box
    net = SDGASModel(str(weights)).model.cpu().float().fuse(verbose=False).eval()
    ap50 = {f"ap50:{metrics.names[c]}": float(box.ap50[i]) for i, c in enumerate(box.ap_class_index)}
    return {"map50": float(box.map50), "map50_95": float(box.map), "params": get_num_params(net),
            "gflops640": round(get_flops(net, 640), 3), **ap50}


def run_all(args):
    """Train every (model, seed) run that has no row yet, seed by seed (each seed completes a paired set)."""
    expected = settings(args)
    todo = [(model, seed) for seed in args.seeds for model in args.models]
    start = time.time()
    for k, (model, seed) in enumerate(todo, 1):
        folder, tag = run_dir(args.out, model, seed), f"[{k}/{len(todo)}] {model} seed {seed}"
        row = done(read_rows(args.results), model, seed, expected)
        if row:
            print(f"{tag}: finished earlier, skipped (mAP50 {row['map50']:.3f})")
            continue
        print(f"{tag}: training")
        if folder.exists():
            print(f"  removing unfinished run {folder}")
            shutil.rmtree(folder)
        t0 = time.time()
        metrics = train_one(model, seed, args, folder)
        row = {"model": model, "seed": seed, **expected, **metrics, "train_s": round(time.time() - t0, 1)}
        append_row(args.results, row)
        print(f"{tag}: mAP50 {row['map50']:.3f} -> {args.results} (elapsed {time.time() - start:.0f} s)")


# ---------------------------------------------------------------------------------------------- statistics
def mean_std(values):
    """Mean and sample standard deviation (0.0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def paired(a, b):
    """Paired difference of two {seed: value} maps over their common seeds: (mean, half-width of the 95 % Student-t
    interval or None for fewer than 2 seeds, per-seed differences in seed order)."""
    seeds = sorted(set(a) & set(b))
    diffs = [a[s] - b[s] for s in seeds]
    if not diffs:
        return None, None, []
    mean, sd = mean_std(diffs)
    n = len(diffs)
    half = (T975[n - 2] if n - 1 <= len(T975) else 1.96) * sd / math.sqrt(n) if n > 1 else None
    return mean, half, diffs


def fmt(values, scale=100.0, digits=1):
    """'mean ± std' of values times scale; the mean alone for one value, '–' for none."""
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    mean, std = mean_std([v * scale for v in values])
    return f"{mean:.{digits}f}" if len(values) == 1 else f"{mean:.{digits}f} ± {std:.{digits}f}"


def fmt_paired(mean, half, digits=1):
    """'+3.1 [+0.4, +5.8]' in points (values are fractions), or '+3.1 (1 seed)' without an interval."""
    if mean is None:
        return "–"
    if half is None:
        return f"{100 * mean:+.{digits}f} (1 seed)"
    return f"{100 * mean:+.{digits}f} [{100 * (mean - half):+.{digits}f}, {100 * (mean + half):+.{digits}f}]"


# ---------------------------------------------------------------------------------------------- report
def md_table(head, body):
    """Markdown table lines from a header and rows of cells."""
    return [f"| {' | '.join(head)} |", f"|{'---|' * len(head)}", *(f"| {' | '.join(map(str, r))} |" for r in body)]


def report(rows, title):
    """Markdown section for one protocol's rows: per-model mean ± std, paired comparisons, per-seed and per-class."""
    order = list(MODELS)  # baselines, then the ladder in its order, then the leads; unknown names last
    models = sorted(dict.fromkeys(r["model"] for r in rows), key=lambda m: order.index(m) if m in order else len(order))
    by = {m: {r["seed"]: r for r in rows if r["model"] == m} for m in models}
    first = rows[0]
    seeds = sorted({r["seed"] for r in rows})
    lines = [f"### {title}", "",
             f"Data `{first['data']}`, {first['epochs']} epochs from scratch, imgsz {first['imgsz']}, batch "
             f"{first['batch']}, optimizer {first['optimizer']}, fraction {first['fraction']:g}. mAP of best.pt on the "
             f"val split in %, mean ± sample std over seeds; params and GFLOPs of the fused model at 640.", ""]
    body = [[m, len(by[m]), f"{next(iter(by[m].values()))['params'] / 1e6:.2f}",
             f"{next(iter(by[m].values()))['gflops640']:.2f}", fmt([r["map50"] for r in by[m].values()]),
             fmt([r["map50_95"] for r in by[m].values()])] for m in models]
    lines += md_table(["Model", "seeds", "Params (M)", "GFLOPs@640", "mAP50", "mAP50-95"], body) + [""]
    comps = [(a, b) for a, b in COMPARISONS if a in by and b in by and set(by[a]) & set(by[b])]
    if comps:
        body = []
        for a, b in comps:
            m50, h50, d50 = paired({s: r["map50"] for s, r in by[a].items()}, {s: r["map50"] for s, r in by[b].items()})
            m95, h95, _ = paired({s: r["map50_95"] for s, r in by[a].items()},
                                 {s: r["map50_95"] for s, r in by[b].items()})
            body.append([f"{a} − {b}", len(d50), fmt_paired(m50, h50), fmt_paired(m95, h95),
                         " ".join(f"{100 * d:+.1f}" for d in d50)])
        lines += ["Paired differences in points, mean [95 % Student-t interval over seeds]:", ""]
        lines += md_table(["comparison", "seeds", "Δ mAP50", "Δ mAP50-95", "Δ mAP50 per seed"], body) + [""]
    lines += md_table(["Model", *(f"seed {s}" for s in seeds)],
                      [[m, *(f"{100 * by[m][s]['map50']:.1f}" if s in by[m] else "–" for s in seeds)] for m in models])
    classes = [k for k in first if k.startswith("ap50:")]
    if classes:
        lines += ["", "Per-class AP50 (%):", ""]
        lines += md_table(["Model", *(c[5:] for c in classes)],
                          [[m, *(fmt([r.get(c) for r in by[m].values()]) for c in classes)] for m in models])
    return "\n".join(lines) + "\n"


def full_report(results_dir=RESULTS_DIR):
    """One report section per accuracy-*.csv in results_dir."""
    parts = []
    for path in sorted(Path(results_dir).glob("accuracy-*.csv")):
        rows = read_rows(path)
        if rows:
            parts.append(report(rows, f"{path.stem} (`benchmarks/results/{path.name}`)"))
    return "\n".join(parts)


def write_docs(path, text):
    """Replace the block between the accuracy markers of a Markdown file with text."""
    doc = Path(path).read_text()
    if MARK_BEGIN not in doc or MARK_END not in doc:
        raise SystemExit(f"{path}: no '{MARK_BEGIN}' ... '{MARK_END}' block to rewrite")
    head, rest = doc.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    Path(path).write_text(f"{head}{MARK_BEGIN}\n\n{text}\n{MARK_END}{tail}")


def main(argv=None):
    """Train what is missing (or, with --report, only rebuild the tables), then print the report."""
    args = parse_args(argv)
    if not args.report:
        run_all(args)
    text = full_report(args.results.parent)
    if args.docs:
        write_docs(args.docs, text)
        print(f"rewrote the accuracy block of {args.docs}")
    print(text)


if __name__ == "__main__":
    main()
