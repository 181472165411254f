# sdgas-ultra, AGPL-3.0
"""Accuracy protocol: train models from scratch, paired over seeds, and compare them with paired intervals.

    python benchmarks/accuracy.py --epochs 40 --imgsz 192 --seeds 0 1 2 --models yolov8n sdgasnet-n   # train
    python benchmarks/accuracy.py --report --docs docs/benchmarks.md                                   # tables

Paired: every model of a seed trains with the same seed (weights init and data order, `deterministic=True`), the same
data and the same budget, so model differences are measured per seed and their mean gets a Student-t 95 % interval.

Validation chooses, test reports: best.pt is picked on the val split (ultralytics' fitness), and every run is then
evaluated once on the dataset's test split, which chooses nothing (no checkpoint, no early stop, no design). Test
comparisons also carry a paired two-level bootstrap interval over seeds and test images: BOOT fixed resamples of the
test images, shared by every model and seed, give each run BOOT replicate mAPs (stored in boot-<protocol>.csv); a
replicate of a comparison draws seeds with replacement and averages the per-seed differences of that image resample;
the interval is the 2.5-97.5 % percentile range of the replicates.

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

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BASELINES = ("yolov8n", "yolo11n", "yolo26n")
# ablation ladder, one change per step, from the yolov8n network to sdgasnet-n. Its first step, sdgas-a0-pan, builds
# yolov8n layer for layer and trains to the same digits on a seed, so the ladder starts from yolov8n's rows.
LADDER = ("yolov8n", "sdgas-a1-head-n", "sdgas-a2-figa-n", "sdgas-a3-cs-n", "sdgas-a4-fgpem-n", "sdgas-a5-cs-channel-n",
          "sdgasnet-n")
# leads (cfg/models/ablation/sdgas-l*.yaml): lead -> the model it changes, reported against it. A lead that wins
# becomes a ladder step (max-pooled MFA, lead l2, is a5 -> sdgasnet); the others stay here with their numbers.
LEADS = {"sdgas-l1-late-inject-n": "sdgas-a5-cs-channel-n", "sdgas-l4-fgpem-no-cs-n": "sdgas-a2-figa-n"}
# leave-one-out from the shipped model: sdgasnet-n minus each is what that module contributes (issue #20)
LEAVE_ONE_OUT = {"sdgas-o-no-figa-n": "FIGA", "sdgas-l3-no-fgpem-n": "FGPEM", "sdgas-o-no-cs-n": "CS",
                 "sdgas-a5-cs-channel-n": "max-pooled MFA (vs average)", "sdgas-o-v8-head-n": "light head (vs YOLOv8's)"}
# yolov8n widened to at least sdgasnet-n's parameter count: a gain over it is not just more parameters
CONTROLS = ("sdgas-c-yolov8-wide-n",)
# benchmark name -> model YAML; every model is built from scratch, no weights are downloaded. Self-distillation has
# its own benchmark (benchmarks/distill.py): its student must not share the teacher's seed.
MODELS = {m: f"{m}.yaml" for m in (*BASELINES, *CONTROLS, "sdgas-a0-pan-n", *LADDER, *LEADS, *LEAVE_ONE_OUT)}
# (model, reference): reported as model minus reference, paired over the seeds both have
COMPARISONS = (
    *(("sdgasnet-n", b) for b in (*BASELINES, *CONTROLS)),
    *(("sdgasnet-n", m) for m in LEAVE_ONE_OUT),
    *zip(LADDER[1:], LADDER[:-1]),
    *LEADS.items(),
)
SETTINGS = ("data", "epochs", "imgsz", "batch", "optimizer", "fraction")
BOOT, BOOT_SEED = 200, 2026  # bootstrap replicates over test images; the seed fixes the resamples for every model
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
            elif k in NUMBERS or k.startswith(("ap50:", "test_ap50:")):
                r[k] = float(v) if v != "" else None
    return rows


NUMBERS = ("fraction", "map50", "map50_95", "params", "gflops640", "train_s", "test_map50", "test_map50_95",
           "val_gain_last_tenth")


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
    """Train one run from scratch, then evaluate its best.pt (chosen on val) on val and test.

    Returns (row metrics, bootstrap replicates {metric: (BOOT,) array} on the test images)."""
    from sdgas_ultra import SDGASModel

    yolo = SDGASModel(MODELS[model])
    yolo.train(**settings(args), seed=seed, deterministic=True, pretrained=False, device=args.device, plots=False,
               workers=args.workers, project=str(folder.parent), name=folder.name, exist_ok=True)
    return measure(folder, args)


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


def last_tenth_gain(results_csv):
    """Best val mAP50 of all epochs minus the best of the first 90 %: what the last tenth of training added."""
    with open(results_csv, newline="") as f:
        curve = [float(r["metrics/mAP50(B)"]) for r in csv.DictReader(f, skipinitialspace=True)]
    return round(max(curve) - max(curve[: max(1, int(0.9 * len(curve)))]), 5)


def resamples(n):
    """(BOOT, n) image indices of the bootstrap resamples: fixed by BOOT_SEED and n, so shared by every run."""
    return np.random.default_rng([BOOT_SEED, n]).integers(0, n, (BOOT, n))


def bootstrap(images):
    """{"map50", "map50_95"}: (BOOT,) arrays of the mAPs of each resample of the per-image statistics."""
    from ultralytics.utils.metrics import ap_per_class

    out = {"map50": np.zeros(BOOT), "map50_95": np.zeros(BOOT)}
    for b, idx in enumerate(resamples(len(images))):
        cat = {k: np.concatenate([images[i][k] for i in idx]) for k in images[0]}
        ap = ap_per_class(cat["tp"], cat["conf"], cat["pred_cls"], cat["target_cls"])[5]  # (classes, 10 IoUs)
        out["map50"][b], out["map50_95"][b] = (ap[:, 0].mean(), ap.mean()) if len(ap) else (0.0, 0.0)
    return out


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
        metrics, boot = train_one(model, seed, args, folder)
        row = {"model": model, "seed": seed, **expected, **metrics, "train_s": round(time.time() - t0, 1)}
        append_row(boot_path(args.results), {"model": model, "seed": seed, **boot_columns(boot)})
        append_row(args.results, row)  # last: the row marks the run as done
        print(f"{tag}: val mAP50 {row['map50']:.3f}, test mAP50 {row.get('test_map50', float('nan')):.3f} -> {args.results} "
              f"(elapsed {time.time() - start:.0f} s)")


def boot_columns(boot):
    """Replicates as CSV cells: {"boot_map50": "0.51234 0.49876 ...", ...}."""
    return {f"boot_{k}": " ".join(f"{x:.5f}" for x in v) for k, v in boot.items()}


def boot_path(results):
    """The bootstrap replicates file beside a results CSV: accuracy-X.csv -> boot-X.csv."""
    return Path(results).with_name("boot-" + Path(results).name.removeprefix("accuracy-"))


def read_boot(results):
    """{(model, seed): {"map50": (BOOT,) array, "map50_95": ...}} of a results CSV's bootstrap file ({} if none)."""
    if not boot_path(results).is_file():
        return {}
    with open(boot_path(results), newline="") as f:
        return {(r["model"], int(r["seed"])): {k: np.array(r[f"boot_{k}"].split(), float) for k in ("map50", "map50_95")}
                for r in csv.DictReader(f)}


# ---------------------------------------------------------------------------------------------- statistics
def mean_std(values):
    """Mean and sample standard deviation (0.0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def paired_bootstrap(a, b):
    """Two-level paired bootstrap of a - b over the seeds both have: a, b map seed -> (BOOT,) replicate values of
    the same image resamples. Returns the (2.5 %, 97.5 %) percentiles, or None without common seeds."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    diffs = np.stack([a[s] - b[s] for s in seeds])  # (seeds, BOOT)
    pick = np.random.default_rng(BOOT_SEED).integers(0, len(seeds), (diffs.shape[1], len(seeds)))
    means = diffs[pick, np.arange(diffs.shape[1])[:, None]].mean(1)  # per replicate: resampled seeds, its images
    return tuple(np.percentile(means, (2.5, 97.5)))


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


def comparison_rows(by, key, boot=None):
    """Table rows of the paired comparisons on metric `key` ("map50" or "test_map50"): comparison, seeds, delta mAP50
    [t interval over seeds], delta mAP50-95, per-seed deltas; with boot ({(model, seed): replicates}), also the
    two-level bootstrap interval of delta mAP50."""
    body = []
    for a, b in COMPARISONS:
        common = {s for s in set(by.get(a, {})) & set(by.get(b, {})) if by[a][s].get(key) is not None
                  and by[b][s].get(key) is not None}
        if not common:
            continue
        pick = lambda m, k: {s: by[m][s][k] for s in common}  # noqa: E731
        m50, h50, d50 = paired(pick(a, key), pick(b, key))
        m95, h95, _ = paired(pick(a, f"{key}_95"), pick(b, f"{key}_95"))
        cells = [f"{a} − {b}", len(d50), fmt_paired(m50, h50)]
        if boot is not None:
            reps = lambda m: {s: boot[(m, s)]["map50"] for s in common if (m, s) in boot}  # noqa: E731
            ci = paired_bootstrap(reps(a), reps(b))
            cells.append(f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]" if ci else "–")
        body.append([*cells, fmt_paired(m95, h95), " ".join(f"{100 * d:+.1f}" for d in d50)])
    return body


def report(rows, title, boot=None):
    """Markdown section for one protocol's rows: per-model table, paired comparisons on the test split (reporting) and
    on the val split (choosing), per-seed and per-class tables."""
    order = list(MODELS)  # baselines, then the ladder in its order, then the leads; unknown names last
    models = sorted(dict.fromkeys(r["model"] for r in rows), key=lambda m: order.index(m) if m in order else len(order))
    by = {m: {r["seed"]: r for r in rows if r["model"] == m} for m in models}
    first = rows[0]
    seeds = sorted({r["seed"] for r in rows})
    has_test = any(r.get("test_map50") is not None for r in rows)
    lines = [f"### {title}", "",
             f"Data `{first['data']}`, {first['epochs']} epochs from scratch, imgsz {first['imgsz']}, batch "
             f"{first['batch']}, optimizer {first['optimizer']}, fraction {first['fraction']:g}. best.pt is chosen on "
             f"the val split; mAP in %, mean ± sample std over seeds; params and GFLOPs of the fused model at 640."
             + (" Test: the test split, which chose nothing. Last tenth: what the last 10 % of epochs added to the "
                "best val mAP50 (points)." if has_test else " This protocol predates the test split: val only."), ""]
    one = lambda m, k: next(iter(by[m].values())).get(k)  # noqa: E731
    head = ["Model", "seeds", "Params (M)", "GFLOPs@640"]
    head += ["test mAP50", "test mAP50-95", "val mAP50", "last tenth"] if has_test else ["mAP50", "mAP50-95"]
    body = []
    for m in models:
        r = list(by[m].values())
        cells = [m, len(r), f"{one(m, 'params') / 1e6:.2f}", f"{one(m, 'gflops640'):.2f}"]
        if has_test:
            cells += [fmt([x.get("test_map50") for x in r]), fmt([x.get("test_map50_95") for x in r]),
                      fmt([x["map50"] for x in r]), fmt([x.get("val_gain_last_tenth") for x in r])]
        else:
            cells += [fmt([x["map50"] for x in r]), fmt([x["map50_95"] for x in r])]
        body.append(cells)
    lines += md_table(head, body) + [""]
    per_seed = "Δ mAP50 per seed"
    test = comparison_rows(by, "test_map50", boot or {}) if has_test else []
    if test:
        lines += ["Test split, paired differences in points: mean [95 % Student-t interval over seeds] and "
                  "[95 % two-level bootstrap interval over seeds and test images]:", ""]
        lines += md_table(["comparison", "seeds", "Δ test mAP50", "bootstrap", "Δ test mAP50-95", per_seed],
                          test) + [""]
    val = comparison_rows(by, "map50")
    if val:
        lines += [("Val split (the split designs are chosen on), paired" if has_test else "Paired")
                  + " differences in points, mean [95 % Student-t interval over seeds]:", ""]
        lines += md_table(["comparison", "seeds", "Δ mAP50", "Δ mAP50-95", per_seed], val) + [""]
    key = "test_map50" if has_test else "map50"
    lines += [f"{'Test' if has_test else 'Val'} mAP50 per seed:", ""]
    lines += md_table(["Model", *(f"seed {s}" for s in seeds)],
                      [[m, *(f"{100 * by[m][s][key]:.1f}" if s in by[m] and by[m][s].get(key) is not None else "–"
                             for s in seeds)] for m in models])
    prefix = "test_ap50:" if has_test else "ap50:"
    classes = [k for k in first if k.startswith(prefix)]
    if classes:
        lines += ["", f"Per-class AP50 on the {'test' if has_test else 'val'} split (%):", ""]
        lines += md_table(["Model", *(c[len(prefix):] for c in classes)],
                          [[m, *(fmt([r.get(c) for r in by[m].values()]) for c in classes)] for m in models])
    return "\n".join(lines) + "\n"


def full_report(results_dir=RESULTS_DIR):
    """One report section per accuracy-*.csv in results_dir."""
    parts = []
    for path in sorted(Path(results_dir).glob("accuracy-*.csv")):
        rows = read_rows(path)
        if rows:
            parts.append(report(rows, f"{path.stem} (`benchmarks/results/{path.name}`)", read_boot(path)))
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
