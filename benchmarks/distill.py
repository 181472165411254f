# sdgas-ultra, AGPL-3.0
"""Self-distillation benchmark: a student alone and with three distillation recipes, paired over seeds.

    python benchmarks/distill.py --epochs 40 --imgsz 192 --seeds 0 1 2 --student sdgasnet-n          # train
    python benchmarks/distill.py --epochs 40 --imgsz 192 --teacher sdgasnet-s                          # larger teacher
    python benchmarks/distill.py --report --epochs 40 --imgsz 192                                      # tables only

For each seed k in --seeds the teacher (--teacher, default the student's own model) trains with seed k, and four
student runs train with seed k + 1, as `self_distill=True` does (the student never shares the teacher's seed):
  (a) the student alone;
  (b) ultralytics' built-in feature distillation (`distill_model=`, `sd_kl=False`, weight `dis`);
  (c) our enhanced KL (`sd_mode=enhanced`, the sd_ defaults, or --sd overrides);
  (d) the authors' YOLOv6 recipe (`sd_mode=yolov6`);
  (e) the student alone for twice the epochs: the compute of the teacher's run plus the student's, so (c) - (e) asks
      whether distillation beats spending the same training time on the student alone.
Every run uses the accuracy protocol of benchmarks/accuracy.py (from scratch, `deterministic=True`, the same data and
budget except (e)'s epochs; best.pt chosen on val, reported on the test split) and reuses its results CSV helpers: each finished run appends a row (model, seed, the settings, mAP, params,
GFLOPs, median training-step ms, train s) to benchmarks/results/distill-<protocol>.csv, so a rerun skips it and an
interrupted one resumes. When the teacher is the student's model, the teacher of seed k is run (a) of seed k. Step
time is the median wall time of one training step (forward, loss, backward, optimizer step when due), measured inside
the loop, so data loading is not counted.
"""

import argparse
import importlib.util
import shutil
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("accuracy_benchmark", HERE / "accuracy.py")
acc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(acc)

RECIPES = {  # row -> (model-name suffix, training keys); the teacher is added as distill_model
    "a": ("", None),
    "b": ("+featkd", {"sd_kl": False}),
    "c": ("+sd", {"sd_kl": True, "sd_mode": "enhanced"}),
    "d": ("+sd-yolov6", {"sd_kl": True, "sd_mode": "yolov6"}),
    "e": ("+2x-epochs", None),
}
LABELS = {"a": "alone", "b": "ultralytics feature KD", "c": "enhanced KL (ours)", "d": "YOLOv6 KL (authors')",
          "e": "alone, 2x epochs (compute-matched)"}
LONGER = {"e": 2}  # rows trained for this many times --epochs
MARK_BEGIN, MARK_END = "<!-- distill:begin -->", "<!-- distill:end -->"


def parse_args(argv=None):
    """Parse and check the command line; errors exit with a message naming the bad option."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", default="synthetic-defects.yaml", help="dataset YAML, the same for every run")
    p.add_argument("--student", default="sdgasnet-n", help="student model (YAML stem)")
    p.add_argument("--teacher", default=None, help="teacher model (YAML stem); default: the student's model")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--imgsz", type=int, default=192)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="teacher seeds; students use seed + 1")
    p.add_argument("--rows", default="abcde", help="which student rows to run, any of 'abcde'")
    p.add_argument("--optimizer", default="auto", help="one optimizer for all ('auto' picks by iteration count)")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--device", default="cpu", help="training device, e.g. cpu or 0")
    p.add_argument("--fraction", type=float, default=1.0, help="fraction of the training set to use")
    p.add_argument("--sd", nargs="*", default=[], metavar="KEY=VALUE", help="sd_ overrides for row (c), e.g. sd_T=3")
    p.add_argument("--out", type=Path, default=Path("runs/distill"), help="run folders, one per (model, seed)")
    p.add_argument("--results", type=Path, help="results CSV (default: benchmarks/results/distill-<protocol>.csv)")
    p.add_argument("--report", action="store_true", help="train nothing; print the tables of the results CSV")
    p.add_argument("--docs", type=Path, help="also rewrite the block between the distill markers of this file")
    args = p.parse_args(argv)
    for key, low in {"epochs": 1, "imgsz": 32, "batch": 1, "workers": 0}.items():
        if getattr(args, key) < low:
            p.error(f"--{key} must be at least {low}, got {getattr(args, key)}")
    if not 0 < args.fraction <= 1:
        p.error(f"--fraction must be in (0, 1], got {args.fraction}")
    if len(set(args.seeds)) != len(args.seeds):
        p.error("--seeds must not repeat a seed")
    if not args.rows or set(args.rows) - set(RECIPES):
        p.error(f"--rows takes letters of 'abcde', got {args.rows!r}")
    args.sd = dict(parse_override(p, kv) for kv in args.sd)
    args.teacher = args.teacher or args.student
    args.out = args.out.resolve()  # ultralytics would nest a relative project under its runs_dir
    pair = args.student if args.teacher == args.student else f"{args.student}-from-{args.teacher}"
    args.results = (args.results or acc.RESULTS_DIR / f"distill-{pair}-{acc.protocol_tag(acc.settings(args))}.csv")
    args.results = args.results.resolve()
    return args


def parse_override(parser, text):
    """'sd_T=3' -> ('sd_T', 3.0); values are read as the yolo CLI reads them."""
    from ultralytics.cfg import smart_value

    key, sep, value = text.partition("=")
    if not sep or not key.startswith("sd_"):
        parser.error(f"--sd takes sd_KEY=VALUE pairs, got {text!r}")
    return key, smart_value(value)


def plan(args):
    """The runs in order, as (model name, seed, YAML, training keys or None, teacher (name, seed) or None, row)."""
    runs = {}  # (name, seed) -> run; the teacher of seed k is run (a) of seed k when it is the student's model
    for k in args.seeds:
        teacher = (args.teacher, k)
        runs.setdefault(teacher, (*teacher, f"{args.teacher}.yaml", None, None, "a"))
        for row in args.rows:
            keys = {**RECIPES[row][1], **args.sd} if row == "c" else RECIPES[row][1]
            name = row_name(args, row)
            runs.setdefault((name, k + 1), (name, k + 1, f"{args.student}.yaml", keys, teacher if keys else None, row))
    return list(runs.values())


def row_name(args, row):
    """Model name of a student row in the results CSV, e.g. sdgasnet-n+sd, or sdgasnet-n+sd,sd_T=3 with --sd."""
    return args.student + RECIPES[row][0] + "".join(f",{k}={v}" for k, v in args.sd.items() if row == "c")


class StepTimer:
    """Training callbacks: wall time of each step from on_train_batch_start to on_train_batch_end, in ms."""

    def __init__(self, warmup=5):
        self.warmup, self.times, self.t0 = warmup, [], None

    def start(self, trainer):
        self._sync(trainer)
        self.t0 = time.perf_counter()

    def end(self, trainer):
        self._sync(trainer)
        self.times.append((time.perf_counter() - self.t0) * 1000)

    @staticmethod
    def _sync(trainer):
        if trainer.device.type == "cuda":
            import torch

            torch.cuda.synchronize(trainer.device)

    def median(self):
        steps = self.times[self.warmup:] or self.times
        return round(statistics.median(steps), 2) if steps else None


def train_one(yaml, seed, args, folder, keys, teacher, epochs):
    """Train one run from scratch (distilled from the teacher's best.pt when keys are given); returns its metrics and
    the bootstrap replicates of its test mAPs."""
    from sdgas_ultra import SDGASModel

    extra = {}
    if keys:
        extra = {**keys, "distill_model": str(acc.run_dir(args.out, *teacher) / "weights" / "best.pt")}
    model, timer = SDGASModel(yaml), StepTimer()
    model.add_callback("on_train_batch_start", timer.start)
    model.add_callback("on_train_batch_end", timer.end)
    model.train(**{**acc.settings(args), "epochs": epochs}, seed=seed, deterministic=True, pretrained=False,
                device=args.device, plots=False, workers=args.workers, project=str(folder.parent), name=folder.name,
                exist_ok=True, **extra)
    metrics, boot = acc.measure(folder, args)
    return {**metrics, "step_ms": timer.median()}, boot


def run_all(args):
    """Train every planned run that has no row yet; a folder without a row (interrupted) is trained again."""
    todo = plan(args)
    for i, (name, seed, yaml, keys, teacher, letter) in enumerate(todo, 1):
        expected = {**acc.settings(args), "epochs": args.epochs * LONGER.get(letter, 1)}
        folder, tag = acc.run_dir(args.out, name, seed), f"[{i}/{len(todo)}] {name} seed {seed}"
        row = acc.done(acc.read_rows(args.results), name, seed, expected)
        if row:
            print(f"{tag}: finished earlier, skipped (mAP50 {row['map50']:.3f})")
            continue
        print(f"{tag}: training" + (f" from {teacher[0]} seed {teacher[1]}" if teacher else ""))
        if folder.exists():
            shutil.rmtree(folder)
        t0 = time.time()
        metrics, boot = train_one(yaml, seed, args, folder, keys, teacher, expected["epochs"])
        teacher_text = f"{teacher[0]} seed {teacher[1]}" if teacher else ""
        row = {"model": name, "seed": seed, **expected, "teacher": teacher_text, **metrics,
               "train_s": round(time.time() - t0, 1)}
        acc.append_row(acc.boot_path(args.results), {"model": name, "seed": seed, **acc.boot_columns(boot)})
        acc.append_row(args.results, row)
        print(f"{tag}: mAP50 {row['map50']:.3f} -> {args.results}")


def report(rows, args):
    """Markdown: per-seed mAP50 of each row, paired differences with 95 % Student-t intervals, step-time ratios."""
    by = {r: {x["seed"]: x for x in rows if x["model"] == row_name(args, r)} for r in RECIPES}
    rows_present = [r for r in RECIPES if by[r]]
    seeds = sorted({s for r in rows_present for s in by[r]})
    test = bool(rows) and all(x.get("test_map50") is not None for x in rows)  # rows before the test split: val
    key, split = ("test_map50", "test") if test else ("map50", "val")
    lines = [f"Student `{args.student}` (seeds {', '.join(map(str, seeds))}), teacher `{args.teacher}` (seed - 1), "
             f"data `{args.data}`, {args.epochs} epochs from scratch (row e: {2 * args.epochs}), imgsz {args.imgsz}, "
             f"batch {args.batch}, optimizer {args.optimizer}, fraction {args.fraction:g}. mAP50 (%) of best.pt, "
             f"chosen on val, on the {split} split.", ""]
    lines += acc.md_table(["row", *(f"seed {s}" for s in seeds), "step (ms)"],
                          [[f"({r}) {LABELS[r]}", *(f"{100 * by[r][s][key]:.1f}" if s in by[r] else "–"
                                                    for s in seeds), step_text(by[r])] for r in rows_present])
    pairs = [(x, y) for x, y in (("b", "a"), ("c", "a"), ("d", "a"), ("c", "b"), ("c", "d"), ("c", "e"))
             if by[x] and by[y]]
    boot = acc.read_boot(args.results) if test else {}
    body = []
    for x, y in pairs:
        mean, half, diffs = acc.paired({s: v[key] for s, v in by[x].items()}, {s: v[key] for s, v in by[y].items()})
        reps = lambda r: {s: boot[(row_name(args, r), s)]["map50"] for s in by[r] if (row_name(args, r), s) in boot}  # noqa: E731
        ci = acc.paired_bootstrap(reps(x), reps(y)) if boot else None
        if diffs:
            body.append([f"({x}) − ({y})", len(diffs), acc.fmt_paired(mean, half),
                         f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]" if ci else "–",
                         " ".join(f"{100 * d:+.1f}" for d in diffs), f"{100 * min(diffs):+.1f}",
                         ratio_text(by[x], by[y])])
    if body:
        lines += ["", "Paired differences in mAP50 points, mean [95 % Student-t interval over seeds] and [95 % "
                  "two-level bootstrap interval over seeds and test images]:", ""]
        lines += acc.md_table(["comparison", "seeds", "Δ mAP50", "bootstrap", "per seed", "worst seed", "step ratio"],
                              body)
    return "\n".join(lines) + "\n"


def step_text(runs):
    steps = [r["step_ms"] for r in runs.values() if r.get("step_ms") not in (None, "")]
    return f"{statistics.median(map(float, steps)):.0f}" if steps else "–"


def ratio_text(x, y):
    """Median over common seeds of the step-time ratio x / y."""
    ratios = [float(x[s]["step_ms"]) / float(y[s]["step_ms"]) for s in set(x) & set(y)
              if x[s].get("step_ms") not in (None, "") and y[s].get("step_ms") not in (None, "")]
    return f"{statistics.median(ratios):.2f}x" if ratios else "–"


def write_docs(path, text):
    """Replace the block between the distill markers of a Markdown file with text."""
    doc = Path(path).read_text()
    if MARK_BEGIN not in doc or MARK_END not in doc:
        raise SystemExit(f"{path}: no '{MARK_BEGIN}' ... '{MARK_END}' block to rewrite")
    head, rest = doc.split(MARK_BEGIN, 1)
    Path(path).write_text(f"{head}{MARK_BEGIN}\n\n{text}\n{MARK_END}{rest.split(MARK_END, 1)[1]}")


def main(argv=None):
    """Train what is missing (unless --report), then print the report (and write it into --docs)."""
    args = parse_args(argv)
    if not args.report:
        run_all(args)
    text = report(acc.read_rows(args.results), args)
    if args.docs:
        write_docs(args.docs, text)
    print(text)


if __name__ == "__main__":
    main()
