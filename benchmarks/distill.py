# sdgas-ultra, AGPL-3.0
"""Self-distillation benchmark (issue #3): the student alone, with ultralytics' feature KD, with our enhanced KL.

    python benchmarks/distill.py --data synthetic-defects.yaml --epochs 30 --imgsz 224 --model sdgasnet-n.yaml

Three runs of the student with the same data, seed, epochs, imgsz and batch:
  (a) alone; (b) ultralytics' built-in feature distillation (`distill_model=`, `sd_kl=False`, weight `dis`);
  (c) our enhanced-KL self-distillation (`distill_model=`, sd_* keys at their defaults unless --sd overrides them).
The teacher of (b) and (c) is run (a)'s best.pt by default (born-again self-distillation: same model, same budget);
--teacher takes a checkpoint to use as it is, or a model YAML (e.g. sdgasnet-s.yaml) that is trained first with the
same settings. Step time is the median wall time of one training step (forward, loss, backward, and the optimizer
step when one falls due), measured inside the training loop, so data loading is not counted. The table is printed
and written to its own section of docs/benchmarks.md. This is a benchmark, not a test.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Self-distillation (benchmarks/distill.py)"
RUNS = {
    "a": "student alone",
    "b": "+ ultralytics feature KD (dis)",
    "c": "+ enhanced-KL self-distillation",
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--data", default="synthetic-defects.yaml", help="dataset YAML, the same for every run")
    p.add_argument("--model", default="sdgasnet-n.yaml", help="student model YAML")
    p.add_argument("--teacher", default=None, help="teacher .pt (used as is) or YAML (trained first); default: run (a)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--imgsz", type=int, default=224)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--optimizer", default="SGD", help="one optimizer for every run ('auto' picks by iteration count)")
    p.add_argument("--device", default="", help="'' picks the GPU if there is one, else the CPU")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sd", nargs="*", default=[], metavar="KEY=VALUE", help="sd_* overrides for run (c), e.g. sd_T=3")
    p.add_argument("--project", type=Path, default=REPO / "runs" / "benchmarks" / "distill")
    p.add_argument("--report", type=Path, default=REPO / "docs" / "benchmarks.md", help="markdown file to update")
    p.add_argument("--no-report", action="store_true", help="print the table only")
    args = p.parse_args(argv)
    args.sd = dict(parse_override(p, kv) for kv in args.sd)
    args.project = args.project.resolve()  # ultralytics would nest a relative project under its runs_dir
    return args


def parse_override(parser, text):
    """'sd_T=3' -> ('sd_T', 3.0); values are read like the yolo CLI reads them."""
    from ultralytics.cfg import smart_value

    key, sep, value = text.partition("=")
    if not sep or not key.startswith("sd_"):
        parser.error(f"--sd takes sd_KEY=VALUE pairs, got {text!r}")
    return key, smart_value(value)


class StepTimer:
    """Callbacks timing each training step from on_train_batch_start to on_train_batch_end (ms)."""

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
        steps = self.times[self.warmup :] or self.times
        return statistics.median(steps) if steps else float("nan")


def train(model_source, name, args, **extra):
    """Train one run; returns (mAP50, mAP50-95, median step ms, best.pt path)."""
    from sdgas_ultra import SDGASModel

    model, timer = SDGASModel(model_source), StepTimer()
    model.add_callback("on_train_batch_start", timer.start)
    model.add_callback("on_train_batch_end", timer.end)
    metrics = model.train(
        data=args.data, epochs=args.epochs, imgsz=args.imgsz, batch=args.batch, seed=args.seed,
        optimizer=args.optimizer, device=args.device, workers=args.workers, project=str(args.project),
        name=name, exist_ok=True, plots=False, **extra,
    )  # fmt: skip
    return metrics.box.map50 * 100, metrics.box.map * 100, timer.median(), Path(model.trainer.best)


def teacher_weights(args, alone_best):
    """The teacher checkpoint: --teacher as given (.pt), trained from --teacher (YAML), or run (a)'s best.pt."""
    if args.teacher is None:
        return alone_best, f"run (a), born-again ({Path(args.model).stem})"
    if args.teacher.endswith(".pt"):
        return Path(args.teacher), args.teacher
    *_, best = train(args.teacher, "teacher", args)
    return best, f"{Path(args.teacher).stem}, trained with the same settings"


def table(results, args, teacher_desc, device):
    """Markdown section: protocol, results, targets."""
    a, b, c = (results[k] for k in "abc")

    def ok(met):
        return "met" if met else "NOT met"

    lines = [
        SECTION,
        "",
        f"Student `{args.model}`, data `{args.data}`, {args.epochs} epochs, imgsz {args.imgsz}, batch {args.batch}, "
        f"seed {args.seed}, optimizer {args.optimizer}; teacher: {teacher_desc}. Device: {device}. "
        f"Run {datetime.now(timezone.utc):%Y-%m-%d} with `python benchmarks/distill.py "
        + " ".join(sys.argv[1:])
        + "`.",
        "",
        "| run | mAP50 | mAP50-95 | step (ms) | step / (a) |",
        "|---|---|---|---|---|",
        *(
            f"| ({k}) {RUNS[k]} | {r[0]:.1f} | {r[1]:.1f} | {r[2]:.1f} | {r[2] / a[2]:.2f}x |"
            for k, r in results.items()
        ),
        "",
        (
            f"Targets: (c) >= (a) + 1.0 mAP50: {ok(c[0] >= a[0] + 1.0)} ({c[0] - a[0]:+.1f}); "
            f"(c) >= (b): {ok(c[0] >= b[0])} ({c[0] - b[0]:+.1f}); "
            f"step time (c) <= 1.6x (a): {ok(c[2] <= 1.6 * a[2])} ({c[2] / a[2]:.2f}x)."
        ),
        "",
    ]
    if args.sd:
        lines.insert(3, f"Run (c) overrides: {', '.join(f'{k}={v}' for k, v in args.sd.items())}.")
        lines.insert(4, "")
    return "\n".join(lines)


def write_section(path, text):
    """Replace (or append) this benchmark's section of a markdown file, leaving the other sections alone."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text + (old[end + 1 :] if end >= 0 else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new.rstrip("\n") + "\n")


def main(argv=None):
    args = parse_args(argv)
    import torch

    import sdgas_ultra

    sdgas_ultra.activate()
    results = {}
    *results["a"], alone_best = train(args.model, "a-alone", args)
    teacher, teacher_desc = teacher_weights(args, alone_best)
    *results["b"], _ = train(args.model, "b-feature-kd", args, distill_model=str(teacher), sd_kl=False)
    *results["c"], _ = train(args.model, "c-enhanced-kl", args, distill_model=str(teacher), sd_kl=True, **args.sd)

    on_gpu = torch.cuda.is_available() and args.device not in {"cpu", "mps"}
    device = torch.cuda.get_device_name() if on_gpu else f"CPU ({platform.processor() or platform.machine()})"
    text = table(results, args, teacher_desc, device)
    print("\n" + text)
    if not args.no_report:
        write_section(args.report, text)
        print(f"written to {args.report}")


if __name__ == "__main__":
    main()
