# sdgas-ultra, AGPL-3.0
"""Operators and convolutions per forward pass of sdgasnet-n against YOLOv8n, YOLO11n and YOLO26n (issue #21).

    python -m benchmarks.opcount [--imgsz 640] [--models sdgasnet-n.yaml yolov8n.yaml ...] [--csv [FILE]] [--rows]

`--csv` alone writes benchmarks/results/opcount.csv.

Each model is built from its YAML (no downloads), fused, put in eval mode and run once at batch 1 under
torch.inference_mode with torch.profiler recording on the CPU. An operator is a top-level aten op: one called by our
Python code, not by another aten op (conv2d's inner _convolution is part of the conv2d). Ops that only make a new view
of the same memory (`VIEW_OPS`) are not counted, nor are `MAYBE_COPY_OPS` calls that copied nothing; everything else
is. Ops are attributed to the YAML row (top-level module) whose forward called them. The count is exact and
deterministic, so it can run in CI at a tiny imgsz; on a GPU each counted op is at least one kernel launch, which is
what batch-1 latency is made of. This is a benchmark, not a test: it prints numbers.
"""

from collections import Counter
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from benchmarks.common import cli
from benchmarks.common.models import build
from benchmarks.common.results import RESULTS_DIR, write_rows

DEFAULT_MODELS = ["sdgasnet-n.yaml", "yolov8n.yaml", "yolo11n.yaml", "yolo26n.yaml"]
CSV_PATH = RESULTS_DIR / "opcount.csv"
NC = 6  # classes of every head (the count does not depend on it)

# The one place that says what is not an operator: ops returning a view of their input (no kernel, no memory) ...
VIEW_OPS = frozenset(
    f"aten::{op}"
    for op in (
        "view", "view_as", "_unsafe_view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "expand",
        "expand_as", "permute", "transpose", "t", "numpy_T", "mT", "slice", "select", "narrow", "chunk", "split",
        "split_with_sizes", "unbind", "as_strided", "alias", "detach", "lift_fresh", "_reshape_alias",
    )
)  # fmt: skip
# ... and ops that are a no-op when the tensor already has the asked-for dtype/device/layout: counted only if a copy
# happened beneath them (reshape of a non-contiguous tensor copies too, so it is checked the same way).
MAYBE_COPY_OPS = frozenset({"aten::to", "aten::contiguous", "aten::type_as", "aten::reshape", "aten::flatten"})
COPY_OPS = frozenset({"aten::copy_", "aten::clone", "aten::_to_copy"})
ROW_TAG = "opcount.row"  # prefix of the profiler range wrapped around each YAML row


def is_counted(event):
    """True if a top-level profiler event is an operator (see VIEW_OPS / MAYBE_COPY_OPS)."""
    if not event.name.startswith("aten::"):
        return False
    if event.name in MAYBE_COPY_OPS:
        return copies(event)
    return event.name not in VIEW_OPS


def copies(event):
    """True if a copy op runs anywhere beneath `event`."""
    return any(c.name in COPY_OPS or copies(c) for c in event.cpu_children)


def is_conv(name):
    """True for the convolution ops (conv2d, convolution, conv_transpose2d, ...)."""
    return "conv" in name.removeprefix("aten::")


def row_label(i, module):
    """'<row>:<module type>' as in the YAML model summary, e.g. '10:FIGA'."""
    return f"{i}:{type(module).__name__}"


def profile_forward(model, imgsz):
    """Run model (fused, eval) once at batch 1; return (Counter of op name per row label, ordered row labels)."""
    x = torch.zeros(1, model.yaml.get("channels", 3), imgsz, imgsz)
    ranges = {}

    def enter(module, args):
        ranges[id(module)] = record_function(f"{ROW_TAG}|{module._opcount_label}").__enter__()

    def leave(module, args, out):
        ranges.pop(id(module)).__exit__(None, None, None)

    handles = []
    for i, m in enumerate(model.model):
        m._opcount_label = row_label(i, m)
        handles += [m.register_forward_pre_hook(enter), m.register_forward_hook(leave)]
    try:
        with torch.inference_mode():
            model(x)  # warm-up: caches (DCT matrices) are built here, as in any steady-state inference
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                model(x)
    finally:
        for h in handles:
            h.remove()
    counts = {row_label(i, m): Counter() for i, m in enumerate(model.model)}
    counts["other"] = Counter()  # ops outside any row (DetectionModel's own forward)
    for e in prof.events():
        parent = e.cpu_parent
        if parent is None and is_counted(e):
            counts["other"][e.name] += 1
        elif parent is not None and parent.name.startswith(ROW_TAG) and is_counted(e):
            counts[parent.name.split("|", 1)[1]][e.name] += 1
    return counts


def summarize(counts):
    """{row label: (ops, convs)} plus 'total' from profile_forward's counts."""
    rows = {k: (sum(c.values()), sum(n for op, n in c.items() if is_conv(op))) for k, c in counts.items()}
    rows["total"] = tuple(sum(v[j] for v in rows.values()) for j in (0, 1))
    return rows


def by_type(rows):
    """Row summaries grouped by module type: {type: (ops, convs)}."""
    out = {}
    for label, (ops, convs) in rows.items():
        if label == "total":
            continue
        t = label.split(":", 1)[-1]
        o, c = out.get(t, (0, 0))
        out[t] = (o + ops, c + convs)
    return out


def count_models(names, imgsz):
    """{model stem: {row label: (ops, convs)}} for each YAML in names (fused, eval)."""
    return {Path(n).stem: summarize(profile_forward(build(n, NC), imgsz)) for n in names}


def write_csv(results, path, imgsz):
    """One line per (model, row) and a 'total' line per model."""
    write_rows(path, [{"model": model, "imgsz": imgsz, "row": label, "ops": ops, "convs": convs}
                      for model, rows in results.items() for label, (ops, convs) in rows.items()])


def main(argv=None):
    """Count every model's operators, print the table (and the CSV with --csv)."""
    parser = cli.parser(__doc__, "opcount")
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS)
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--csv", nargs="?", const=CSV_PATH, type=Path, help="also write a CSV (FILE or the default)")
    parser.add_argument("--rows", action="store_true", help="print every YAML row, not only totals per module type")
    args = parser.parse_args(argv)
    cli.at_least(parser, args, {"imgsz": 32})

    results = count_models(args.models, args.imgsz)
    ref = "yolov8n" if "yolov8n" in results else next(iter(results))
    ref_ops, ref_convs = results[ref]["total"]
    print(f"\nOperators per forward pass: fused, eval, batch 1, imgsz {args.imgsz}, torch {torch.__version__}")
    print(f"| model | operators | convolutions | operators / {ref} | convolutions / {ref} |")
    print("|---|---|---|---|---|")
    for model, rows in results.items():
        ops, convs = rows["total"]
        print(f"| {model} | {ops} | {convs} | {ops / ref_ops:.2f}x | {convs / ref_convs:.2f}x |")
    for model, rows in results.items():
        print(f"\n{model}: operators (convolutions) per module type")
        print("  " + ", ".join(f"{t} {o} ({c})" for t, (o, c) in by_type(rows).items() if o))
        if args.rows:
            for label, (ops, convs) in rows.items():
                if label != "total" and ops:
                    print(f"    {label:<16} {ops:>4} ({convs})")
    if args.csv:
        write_csv(results, args.csv, args.imgsz)
        print(f"\nwrote {args.csv}")


if __name__ == "__main__":
    main()
