# sdgas-ultra, AGPL-3.0
"""Self-distillation benchmark: a student alone and with three distillation recipes, paired over seeds.

    python -m benchmarks.distill --epochs 40 --imgsz 192 --seeds 0 1 2 --student sdgasnet-n          # train
    python -m benchmarks.distill --epochs 40 --imgsz 192 --teacher sdgasnet-s                          # larger teacher
    python -m benchmarks.distill --report --epochs 40 --imgsz 192                                      # tables only

For each seed k in --seeds the teacher (--teacher, default the student's own model) trains with seed k, and four
student runs train with seed k + 1, as `self_distill=True` does (the student never shares the teacher's seed):
  (a) the student alone;
  (b) ultralytics' built-in feature distillation (`distill_model=`, `sd_kl=False`, weight `dis`);
  (c) our enhanced KL (`sd_mode=enhanced`, the sd_ defaults, or --sd overrides);
  (d) the authors' YOLOv6 recipe (`sd_mode=yolov6`);
  (e) the student alone for twice the epochs: the compute of the teacher's run plus the student's, so (c) - (e) asks
      whether distillation beats spending the same training time on the student alone.
Every run uses the accuracy protocol (benchmarks/common/protocol.py: from scratch, `deterministic=True`, the same data
and budget except (e)'s epochs; best.pt chosen on val, reported on the test split) and its results store: each
finished run appends a row (model, seed, the settings, mAP, params, GFLOPs, median training-step ms, train s) to
benchmarks/results/distill-<protocol>.csv, so a rerun skips it and an interrupted one resumes. When the teacher is
the student's model, the teacher of seed k is run (a) of seed k. Step time is the median wall time of one training
step (forward, loss, backward, optimizer step when due), measured inside the loop, so data loading is not counted.

Row (a) is the accuracy benchmark's run of the same model, seed and settings: with `--from-accuracy DIR` (that
benchmark's --out) a row (a) that benchmarks.accuracy has finished is not trained again. Its row and bootstrap
replicates are copied from accuracy-<protocol>.csv beside --results, with no step time (the accuracy benchmark does
not time steps), and its run folder is linked into --out, where the students find the teacher's best.pt.
"""

import shutil
import statistics
import time
from pathlib import Path

from benchmarks.common import protocol
from benchmarks.common.report import md_table, write_docs
from benchmarks.common.evaluation import val_curve
from benchmarks.common.results import (RESULTS_DIR, append_row, boot_columns, boot_path, curve_columns, curve_path,
                                       done, read_boot, read_rows, replicates)
from benchmarks.common.stats import fmt_diffs, fmt_interval, fmt_paired, paired, paired_bootstrap

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


def parse_args(argv=None):
    """Parse and check the command line; errors exit with a message naming the bad option."""
    p = protocol.parser(__doc__, "distill")
    p.add_argument("--student", default="sdgasnet-n", help="student model (YAML stem)")
    p.add_argument("--teacher", default=None, help="teacher model (YAML stem); default: the student's model")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="teacher seeds; students use seed + 1")
    p.add_argument("--rows", default="abcde", help="which student rows to run, any of 'abcde'")
    p.add_argument("--sd", nargs="*", default=[], metavar="KEY=VALUE", help="sd_ overrides for row (c), e.g. sd_T=3")
    p.add_argument("--docs", type=Path, help="also rewrite the distill-<student> block of this file")
    p.add_argument("--from-accuracy", type=Path, metavar="DIR",
                   help="take finished row-(a) runs from benchmarks.accuracy (its --out DIR) instead of training them")
    args = p.parse_args(argv)
    protocol.check_args(p, args)
    if not args.rows or set(args.rows) - set(RECIPES):
        p.error(f"--rows takes letters of 'abcde', got {args.rows!r}")
    args.sd = dict(parse_override(p, kv) for kv in args.sd)
    args.teacher = args.teacher or args.student
    args.pair = args.student if args.teacher == args.student else f"{args.student}-from-{args.teacher}"
    args.results = (args.results or RESULTS_DIR / f"distill-{args.pair}-{args.tag}.csv").resolve()
    if args.from_accuracy:  # that benchmark's --out: its run folders of this protocol
        args.from_accuracy = args.from_accuracy / args.tag
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
    """Train one run from scratch (distilled from the teacher's best.pt when keys are given); returns its row
    columns (teacher, metrics, median step ms) and the bootstrap replicates of its test mAPs."""
    extra = {}
    if keys:
        extra = {**keys, "distill_model": str(protocol.run_dir(args.out, *teacher) / "weights" / "best.pt")}
    timer = StepTimer()
    metrics, boot = protocol.train(yaml, seed, args, folder, epochs=epochs, **extra,
                                   callbacks={"on_train_batch_start": timer.start, "on_train_batch_end": timer.end})
    teacher_text = f"{teacher[0]} seed {teacher[1]}" if teacher else ""
    return {"teacher": teacher_text, **metrics, "step_ms": timer.median()}, boot


def from_accuracy(args, name, seed, expected):
    """Copy the accuracy benchmark's finished run (name, seed) into this benchmark as row (a): its row and bootstrap
    replicates into --results, its run folder linked into --out. Returns False (nothing copied) when that benchmark
    has no finished row for it, or no run folder with a best.pt under --from-accuracy."""
    store = args.results.with_name(f"accuracy-{args.tag}.csv")
    row, source = done(read_rows(store), name, seed, expected), protocol.run_dir(args.from_accuracy, name, seed)
    if row is None or not (source / "weights" / "best.pt").is_file():
        return False
    folder = protocol.run_dir(args.out, name, seed)
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.exists():  # an interrupted run of this benchmark
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(source.resolve(), target_is_directory=True)
    append_row(boot_path(args.results), {"model": name, "seed": seed,
                                         **boot_columns(read_boot(store)[(name, seed)])})
    curve = val_curve(source / "results.csv")
    append_row(curve_path(args.results), {"model": name, "seed": seed, **curve_columns(curve)})
    append_row(args.results, {**row, "teacher": "", "step_ms": ""})  # last: the row marks the run as done
    print(f"{name} seed {seed}: taken from the accuracy benchmark ({store.name}, {source})")
    return True


def run_all(args):
    """Train every planned run that has no row yet; a folder without a row (interrupted) is trained again."""
    runs = []
    for name, seed, yaml, keys, teacher, letter in plan(args):
        expected = {**protocol.settings(args), "epochs": args.epochs * LONGER.get(letter, 1)}
        if (letter == "a" and args.from_accuracy and not done(read_rows(args.results), name, seed, expected)
                and from_accuracy(args, name, seed, expected)):
            continue
        train = lambda folder, y=yaml, s=seed, k=keys, t=teacher, e=expected["epochs"]: train_one(  # noqa: E731
            y, s, args, folder, k, t, e)
        runs.append((name, seed, expected, train, f" from {teacher[0]} seed {teacher[1]}" if teacher else ""))
    protocol.run_pending(runs, args.results, args.out)


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
    lines += md_table(["row", *(f"seed {s}" for s in seeds), "step (ms)"],
                      [[f"({r}) {LABELS[r]}", *(f"{100 * by[r][s][key]:.1f}" if s in by[r] else "–" for s in seeds),
                        step_text(by[r])] for r in rows_present])
    pairs = [(x, y) for x, y in (("b", "a"), ("c", "a"), ("d", "a"), ("c", "b"), ("c", "d"), ("c", "e"))
             if by[x] and by[y]]
    boot = read_boot(args.results) if test else {}
    body = []
    for x, y in pairs:
        mean, half, diffs = paired({s: v[key] for s, v in by[x].items()}, {s: v[key] for s, v in by[y].items()})
        reps = [replicates(boot, row_name(args, r), by[r]) for r in (x, y)]
        ci = paired_bootstrap(*reps) if boot else None
        if diffs:
            body.append([f"({x}) − ({y})", len(diffs), fmt_paired(mean, half), fmt_interval(ci), fmt_diffs(diffs),
                         f"{100 * min(diffs):+.1f}", ratio_text(by[x], by[y])])
    if body:
        lines += ["", "Paired differences in mAP50 points, mean [95 % Student-t interval over seeds] and [95 % "
                  "two-level bootstrap interval over seeds and test images]:", ""]
        head = ["comparison", "seeds", "Δ mAP50", "bootstrap", "per seed", "worst seed", "step ratio"]
        lines += md_table(head, body)
    return "\n".join(lines) + "\n"


def step_text(runs):
    steps = [r["step_ms"] for r in runs.values() if r.get("step_ms") not in (None, "")]
    return f"{statistics.median(map(float, steps)):.0f}" if steps else "–"


def ratio_text(x, y):
    """Median over common seeds of the step-time ratio x / y."""
    ratios = [float(x[s]["step_ms"]) / float(y[s]["step_ms"]) for s in set(x) & set(y)
              if x[s].get("step_ms") not in (None, "") and y[s].get("step_ms") not in (None, "")]
    return f"{statistics.median(ratios):.2f}x" if ratios else "–"


def main(argv=None):
    """Train what is missing (unless --report), then print the report (and write it into --docs)."""
    args = parse_args(argv)
    if not args.report:
        run_all(args)
    text = report(read_rows(args.results), args)
    if args.docs:
        write_docs(args.docs, text, f"distill-{args.pair}")
    print(text)


if __name__ == "__main__":
    main()
