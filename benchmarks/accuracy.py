# sdgas-ultra, AGPL-3.0
"""Accuracy protocol: train models from scratch, paired over seeds, and compare them with paired intervals.

    python -m benchmarks.accuracy --epochs 40 --imgsz 192 --seeds 0 1 2 --models yolov8n sdgasnet-n   # train
    python -m benchmarks.accuracy --report --docs docs/benchmarks.md                                   # tables

Paired: every model of a seed trains with the same seed (weights init and data order, `deterministic=True`), the same
data and the same budget, so model differences are measured per seed and their mean gets a Student-t 95 % interval.

Validation chooses, test reports: best.pt is picked on the val split (ultralytics' fitness), and every run is then
evaluated once on the dataset's test split, which chooses nothing (no checkpoint, no early stop, no design). Test
comparisons also carry a paired two-level bootstrap interval over seeds and test images: BOOT fixed resamples of the
test images, shared by every model and seed, give each run BOOT replicate mAPs (stored in boot-<protocol>.csv); a
replicate of a comparison draws seeds with replacement and averages the per-seed differences of that image resample;
the interval is the 2.5-97.5 % percentile range of the replicates. Each run's learning curve (val mAP50 after each
epoch) is kept in curves-<protocol>.csv: the report reads sdgasnet-n's lead over yolov8n and the width control at
points of the schedule.

Each (model, seed) run trains into <out>/<protocol>/<model>/seed<k>/ (not committed) and, once best.pt has been
re-validated, appends one row to the results CSV (default benchmarks/results/accuracy-<protocol>.csv, committed):
that row marks the run as done, so a rerun skips it and a later session resumes where this one stopped. A folder
without a row (an interrupted run) is deleted and trained again. `--report` trains nothing: it rebuilds the tables
from every CSV under benchmarks/results/ (one section per protocol) and, with --docs, rewrites the block between the
accuracy markers of that Markdown file and draws test mAP50 against CPU latency (SPEED_CSV, written by
`python -m benchmarks.speed --csv`) for the main protocol into PLOT beside it. `--device 0` runs the
same protocol on a GPU.
"""

from pathlib import Path

from benchmarks.common import protocol
from benchmarks.common.plot import plot_tradeoff
from benchmarks.common.report import md_table, write_docs
from benchmarks.common.results import RESULTS_DIR, common_seeds, read_boot, read_curves, read_rows, replicates
from benchmarks.common.stats import fmt, fmt_diffs, fmt_interval, fmt_paired, paired, paired_bootstrap

BASELINES = ("yolov8n", "yolo11n", "yolo26n")
SPEED_CSV = "speed-cpu.csv"  # beside the results CSVs
MAIN_PROTOCOL = "accuracy-synthetic-defects-e40-i192.csv"  # the protocol the picture shows
PLOT = "accuracy-latency.png"  # beside the --docs file
SHIPPED = "sdgasnet-n"
R04 = "sdgas-r04-n"  # the sdgasnet of 0.3.0-0.4.4 (FIGA with FGPEM, CS, light head): rows measured before 0.5
# ablation ladder, one change per step, from the yolov8n network to sdgas-r04-n. Its first step, sdgas-a0-pan, builds
# yolov8n layer for layer and trains to the same digits on a seed, so the ladder starts from yolov8n's rows.
LADDER = ("yolov8n", "sdgas-a1-head-n", "sdgas-a2-figa-n", "sdgas-a3-cs-n", "sdgas-a4-fgpem-n", "sdgas-a5-cs-channel-n",
          R04)
# leads (cfg/models/ablation/sdgas-l*.yaml, sdgas-s2-fast.yaml, sdgas-s3-lean.yaml): lead -> the model it changes,
# reported against it.
# A lead that wins becomes a ladder step or the shipped model (max-pooled MFA, lead l2, became a5 -> sdgas-r04; s1, no
# CS and YOLOv8's head, became sdgasnet in 0.5); the others stay here with their numbers (s2-fast and s3-lean:
# candidates for #21's CPU target).
LEADS = {"sdgas-l1-late-inject-n": "sdgas-a5-cs-channel-n", "sdgas-l4-fgpem-no-cs-n": "sdgas-a2-figa-n",
         "sdgas-l5-fgpem-texture-n": R04, "sdgas-s2-fast-n": SHIPPED, "sdgas-s3-lean-n": SHIPPED}
# what each paper module does in the shipped model (issue #20), (model, reference, module): model minus reference.
# sdgasnet-n without FIGA (FGPEM included) is yolov8n layer for layer; CS is not in sdgasnet-n, so its row adds it
# (the YOLOv8-head variant of R04 is sdgasnet with CS).
MODULES = ((SHIPPED, "yolov8n", "FIGA"), (SHIPPED, "sdgas-s1-no-fgpem-n", "FGPEM"),
           ("sdgas-o-v8-head-n", SHIPPED, "CS (added)"))
# leave-one-out from sdgas-r04-n (issue #20, the default of 0.3-0.4): R04 minus each is what that module gave there
LEAVE_ONE_OUT_R04 = {"sdgas-o-no-figa-n": "FIGA", "sdgas-l3-no-fgpem-n": "FGPEM", "sdgas-o-no-cs-n": "CS",
                     "sdgas-a5-cs-channel-n": "max-pooled MFA (vs average)",
                     "sdgas-o-v8-head-n": "light head (vs YOLOv8's)"}
# yolov8n widened to at least sdgasnet-n's parameter count: a gain over it is not just more parameters
CONTROLS = ("sdgas-c-yolov8-wide-n",)
# benchmark name -> model YAML; every model is built from scratch, no weights are downloaded. Self-distillation has
# its own benchmark (benchmarks.distill): its student must not share the teacher's seed.
MODELS = {m: f"{m}.yaml" for m in (*BASELINES, SHIPPED, *CONTROLS, *(x for pair in MODULES for x in pair[:2]),
                                    "sdgas-a0-pan-n", *LADDER, *LEADS, *LEAVE_ONE_OUT_R04)}
# (model, reference): reported as model minus reference, paired over the seeds both have; each pair once (the last
# ladder step, R04 - a5, is also R04's average-pooling leave-one-out)
COMPARISONS = tuple(dict.fromkeys((
    *((SHIPPED, b) for b in (*BASELINES, *CONTROLS)),
    *((a, b) for a, b, _ in MODULES),
    (SHIPPED, R04),  # what 0.5 changed
    *((R04, b) for b in (*BASELINES, *CONTROLS)),
    *((R04, m) for m in LEAVE_ONE_OUT_R04),
    *zip(LADDER[1:], LADDER[:-1]),
    *LEADS.items(),
)))


# the learning-curve table: sdgasnet-n against these, read at these fractions of the schedule
CURVE_REFERENCES = ("yolov8n", *CONTROLS)
CURVE_POINTS = (0.25, 0.5, 0.75, 0.9, 1.0)


def parse_args(argv=None):
    """Parse and check the command line; errors exit with a message naming the bad option."""
    p = protocol.parser(__doc__, "accuracy")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--models", nargs="+", default=["yolov8n", "yolo11n", "sdgasnet-n"], metavar="MODEL",
                   help=f"any of: {' '.join(MODELS)}")
    p.add_argument("--docs", type=Path, help="with --report: rewrite the accuracy block of this Markdown file")
    args = p.parse_args(argv)
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        p.error(f"unknown model(s) {', '.join(unknown)}; valid names: {', '.join(MODELS)}")
    if len(set(args.models)) != len(args.models):
        p.error("--models must not repeat a model")
    if args.docs and not args.report:
        p.error("--docs goes with --report")
    protocol.check_args(p, args)
    args.results = (args.results or RESULTS_DIR / f"accuracy-{args.tag}.csv").resolve()
    return args


def train_one(model, seed, args, folder):
    """Train one run from scratch, then evaluate its best.pt (chosen on val) on val and test.

    Returns (row metrics, bootstrap replicates {metric: (BOOT,) array} on the test images)."""
    return protocol.train(MODELS[model], seed, args, folder)


def run_all(args):
    """Train every (model, seed) run that has no row yet, seed by seed (each seed completes a paired set)."""
    expected = protocol.settings(args)
    runs = [(model, seed, expected, lambda folder, m=model, s=seed: train_one(m, s, args, folder), "")
            for seed in args.seeds for model in args.models]
    protocol.run_pending(runs, args.results, args.out)


def comparison_rows(by, key, boot=None):
    """Table rows of the paired comparisons on metric `key` ("map50" or "test_map50"): comparison, seeds, delta mAP50
    [t interval over seeds], delta mAP50-95, per-seed deltas; with boot ({(model, seed): replicates}), also the
    two-level bootstrap interval of delta mAP50."""
    body = []
    for a, b in COMPARISONS:
        common = common_seeds(by, a, b, key)
        if not common:
            continue
        pick = lambda m, k: {s: by[m][s][k] for s in common}  # noqa: E731
        m50, h50, d50 = paired(pick(a, key), pick(b, key))
        m95, h95, _ = paired(pick(a, f"{key}_95"), pick(b, f"{key}_95"))
        cells = [f"{a} − {b}", len(d50), fmt_paired(m50, h50)]
        if boot is not None:
            ci = paired_bootstrap(replicates(boot, a, common), replicates(boot, b, common))
            cells.append(fmt_interval(ci))
        body.append([*cells, fmt_paired(m95, h95), fmt_diffs(d50)])
    return body


def curve_rows(curves, a, b):
    """Learning-curve rows of model a against b over the seeds both have a curve of: at each of CURVE_POINTS, the best
    val mAP50 reached so far by each (mean ± std) and the paired difference [t interval], per seed."""
    seeds = sorted(s for m, s in curves if m == a and (b, s) in curves)
    if not seeds:
        return []
    n = min(len(curves[(m, s)]) for m in (a, b) for s in seeds)
    body = []
    for f in CURVE_POINTS:
        e = max(1, round(f * n))
        best = {m: {s: float(curves[(m, s)][:e].max()) for s in seeds} for m in (a, b)}
        mean, half, diffs = paired(best[a], best[b])
        body.append([f"{e} of {n}", fmt(list(best[b].values())), fmt(list(best[a].values())), fmt_paired(mean, half),
                     fmt_diffs(diffs)])
    return body


def curve_lines(curves):
    """Markdown of the learning-curve tables of SHIPPED against each of CURVE_REFERENCES that has curves ([] if
    none)."""
    lines = []
    for b in CURVE_REFERENCES:
        body = curve_rows(curves, SHIPPED, b)
        if body:
            lines += [f"Learning curve, {SHIPPED} against {b} on the val split: the best val mAP50 reached by each "
                      "epoch of the one schedule (the learning rate still high at the early points), mean over the "
                      "seeds both have curves of; Δ paired [95 % Student-t interval]:", ""]
            lines += md_table(["epoch", b, SHIPPED, "Δ", "Δ per seed"], body) + [""]
    return lines


def report(rows, title, boot=None, curves=None):
    """Markdown section for one protocol's rows: per-model table, paired comparisons on the test split (reporting) and
    on the val split (choosing), learning curves (with `curves`, read_curves' dict), per-seed and per-class tables."""
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
    lines += curve_lines(curves or {})
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
            parts.append(report(rows, f"{path.stem} (`benchmarks/results/{path.name}`)", read_boot(path),
                                read_curves(path)))
    return "\n".join(parts)


def main(argv=None):
    """Train what is missing (or, with --report, only rebuild the tables), then print the report."""
    args = parse_args(argv)
    if not args.report:
        run_all(args)
    text = full_report(args.results.parent)
    if args.docs:
        write_docs(args.docs, text, "accuracy")
        png, speed = Path(args.docs).parent / PLOT, args.results.parent / SPEED_CSV
        points = plot_tradeoff(args.results.parent / MAIN_PROTOCOL, speed, png)
        print(f"rewrote the accuracy block of {args.docs}; " + (f"drew {points} models into {png}" if points else
              f"no picture: no model has both test rows and a latency row in {speed}"))
    print(text)


if __name__ == "__main__":
    main()
