# sdgas-ultra, AGPL-3.0
"""The README's figures, rendered from committed data (issue #23): every number in README.md sits in a block that
this module regenerates, and each block names the release whose code measured it.

    python -m benchmarks.readme            # rewrite every `<!-- readme:<name>:begin -->` ... `end` block of README.md
    python -m benchmarks.readme --check    # change nothing; exit 1 naming each block that differs

Sources, all under benchmarks/results/: the accuracy protocol's CSVs and their bootstrap replicates (accuracy-*.csv,
boot-*.csv), speed-cpu.csv, opcount.csv, gpu-h200*.csv, runtimes.csv and the distillation CSV, which the benchmarks
write; readme-runs.csv, readme-disk.csv and readme-latency.csv, which hold measurements taken by hand (demo runs, disk
use, latency runs reported in docs/benchmarks.md). The Models table builds each scale (no training, no weights) and
reports what ultralytics' model summary prints. The statistics are those of the benchmark reports
(benchmarks/common/stats.py); nothing is re-implemented here.
"""

import argparse
import csv
from pathlib import Path

from benchmarks.accuracy import MODULES, R04, SHIPPED
from benchmarks.common.report import md_table, read_block, replace_block
from benchmarks.common.results import RESULTS_DIR, by_model, common_seeds, read_boot, read_rows, replicates
from benchmarks.common.stats import fmt, fmt_diffs, fmt_interval, fmt_paired, paired, paired_bootstrap
from benchmarks.distill import LABELS, ratio_text

README = Path(__file__).resolve().parents[1] / "README.md"
COMMAND = "python -m benchmarks.readme"
# Release whose code measured a CSV's rows, for CSVs that record no `version` column (a column, when present, wins)
RELEASES = {
    "accuracy-synthetic-defects-e40-i192.csv": "0.4",
    "accuracy-synthetic-textile-e40-i192.csv": "0.4",
    "accuracy-synthetic-pcb-e40-i256.csv": "0.4",
    "speed-cpu.csv": "0.5.2",
    "opcount.csv": "0.5",
    "gpu-h100.csv": "0.3.1",
    "gpu-h200.csv": "0.4.3",
    "gpu-h200-b.csv": "0.4.3",
}
# surface, dataset, the accuracy protocol's results CSV of that surface
SURFACES = (
    ("steel", "synthetic-defects", "accuracy-synthetic-defects-e40-i192.csv"),
    ("steel, 2x budget", "synthetic-defects", "accuracy-synthetic-defects-e80-i192.csv"),
    ("steel, 3x budget", "synthetic-defects", "accuracy-synthetic-defects-e120-i192.csv"),
    ("textile", "synthetic-textile", "accuracy-synthetic-textile-e40-i192.csv"),
    ("textile, 2x budget", "synthetic-textile", "accuracy-synthetic-textile-e80-i192.csv"),
    ("PCB", "synthetic-pcb", "accuracy-synthetic-pcb-e40-i256.csv"),
    ("PCB, 2x budget", "synthetic-pcb", "accuracy-synthetic-pcb-e80-i256.csv"),
)
# H200 runs of benchmarks/gpu.sh, newest first: the table reads the first, the line under it names the others' ratios
GPU_CSVS = ("gpu-h200-b.csv", "gpu-h200.csv")  # gpu-h100.csv is 0.3.1's, another card
BASELINE = "yolov8n"
# the models that price a paper module against sdgasnet-n (MODULES), and the 0.3-0.4 default with all of them
VARIANTS = (*dict.fromkeys(m for pair in MODULES for m in pair[:2] if m not in (SHIPPED, BASELINE)), R04)
SPEED_MODELS = (SHIPPED, "yolov8n", "yolo11n", "yolo26n", *VARIANTS)
DISTILL = f"distill-{SHIPPED}-synthetic-defects-e40-i192.csv"
DISTILL_STUDENT = SHIPPED
RUNTIMES_SEED = "seed 3, the first both models have since 0.5; seed 0 before"  # the weights runtimes.csv measured
RUNTIMES = {"torchscript": "TorchScript", "onnx": "ONNX Runtime FP32", "onnx-int8": "ONNX Runtime INT8",
            "openvino": "OpenVINO FP32", "openvino-int8": "OpenVINO INT8", "ncnn": "NCNN"}
SPEED_CAPTION = ("Release in each header. CPU: PyTorch on a 2-core AMD EPYC, batch 1, imgsz 640, fused FP32, 6-class "
                 "heads. Operators: top-level aten ops of one fused forward at 640. H200: the best batch-1 path "
                 "(FP16, compiled), 80-class heads.")
SCALES = "nsmlx"
MODELS_NC, MODELS_IMGSZ = 6, 640


def release(path, rows=()):
    """The releases that measured a CSV's rows: each row's `version` cell, else (rows from before the column, or no
    rows) RELEASES' entry for the file, else 'unrecorded'."""
    older = RELEASES.get(Path(path).name, "unrecorded")
    versions = {str(r["version"]) if r.get("version") else older for r in rows} or {older}
    return ", ".join(sorted(versions))


def read_plain(path):
    """Rows of a hand-kept CSV as dicts of strings ([] if absent)."""
    if not Path(path).is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def compare(by, boot, a, b, key="test_map50"):
    """Paired a - b on `key` over the seeds both have: (seeds, 'mean [bootstrap]' or 'mean [t]', per-seed text).
    Test metrics get the two-level bootstrap interval, val metrics the Student-t one."""
    seeds = common_seeds(by, a, b, key)
    if not seeds:
        return 0, "–", "–"
    mean, half, diffs = paired({s: by[a][s][key] for s in seeds}, {s: by[b][s][key] for s in seeds})
    if key.startswith("test"):
        text = f"{100 * mean:+.1f} {fmt_interval(paired_bootstrap(*(replicates(boot, m, seeds) for m in (a, b))))}"
    else:
        text = fmt_paired(mean, half)
    return len(seeds), text, fmt_diffs(diffs)


def surface_results(results_dir):
    """Per surface of SURFACES: (surface, dataset, CSV path, rows, {model: {seed: row}}, bootstrap replicates)."""
    for surface, data, name in SURFACES:
        path = Path(results_dir) / name
        rows = read_rows(path)
        yield surface, data, path, rows, by_model(rows), read_boot(path)


def accuracy_block(results_dir):
    """sdgasnet-n against yolov8n on each surface's test split, one row per surface ('not measured' without both)."""
    body = []
    for surface, data, path, rows, by, boot in surface_results(results_dir):
        n, diff, per_seed = compare(by, boot, SHIPPED, BASELINE)
        label = f"{surface} (`{data}`)"
        if not n:
            body.append([label, "not measured", 0, "–", "–", "–", "–"])
            continue
        protocol = f"{rows[0]['epochs']} epochs, imgsz {rows[0]['imgsz']}"
        test = lambda m: fmt([r.get("test_map50") for r in by[m].values()])  # noqa: E731
        compared = [r for r in rows if r["model"] in (SHIPPED, BASELINE)]
        body.append([label, f"{release(path, compared)}; {protocol}", n, test(SHIPPED), test(BASELINE), diff, per_seed])
    head = ["surface (generated stand-in)", "release; protocol", "seeds", "sdgasnet-n test mAP50", "yolov8n",
            "difference [bootstrap]", "per seed"]
    return "\n".join(md_table(head, body)) + "\n"


def variants_block(results_dir):
    """Each of VARIANTS against sdgasnet-n and yolov8n, per surface that has its rows."""
    body = []
    for model in VARIANTS:
        for surface, data, path, rows, by, boot in surface_results(results_dir):
            if model not in by:
                continue
            _, vs_shipped, _ = compare(by, boot, model, SHIPPED)
            _, vs_base, _ = compare(by, boot, model, BASELINE)
            _, val, val_seeds = compare(by, boot, model, SHIPPED, "map50")
            measured = release(path, [r for r in rows if r["model"] == model])
            test = fmt([r.get("test_map50") for r in by[model].values()])
            body.append([f"`{model}`", f"{surface} (`{data}`)", measured, len(by[model]), test, vs_shipped, vs_base,
                         f"{val} ({val_seeds})"])
    if not body:
        return "No rows of these models yet.\n"
    head = ["model", "surface", "release", "seeds", "test mAP50", "− sdgasnet-n [bootstrap]",
            "− yolov8n [bootstrap]", "− sdgasnet-n on validation [t] (per seed)"]
    return "\n".join(md_table(head, body)) + "\n"


def total_ops(rows):
    """{model: operators per forward pass} of opcount.csv's total rows."""
    return {r["model"]: int(r["ops"]) for r in rows if r["row"] == "total"}


def speed_block(results_dir):
    """Latency on the CPU (PyTorch), operators per forward pass and H200 FPS, each against yolov8n."""
    d = Path(results_dir)
    speed = {r["model"]: r for r in read_plain(d / "speed-cpu.csv")}
    ops = total_ops(read_plain(d / "opcount.csv"))
    gpu = {r["model"]: r for r in read_plain(d / GPU_CSVS[0])}
    ratio = lambda x, ref: f"{x / ref:.2f}x" if x is not None and ref else "–"  # noqa: E731
    num = lambda table, m, k: float(table[m][k]) if m in table and table[m].get(k) else None  # noqa: E731
    body = []
    for m in SPEED_MODELS:
        ms, fps = num(speed, m, "latency_ms"), num(gpu, m, "best_fps")
        body.append([m, f"{ms:.1f}" if ms else "–", ratio(ms, num(speed, BASELINE, "latency_ms")),
                     ops.get(m, "–"), ratio(ops.get(m), ops.get(BASELINE)), f"{fps:.0f}" if fps else "–",
                     ratio(fps, num(gpu, BASELINE, "best_fps"))])
    head = ["model", f"CPU latency, ms ({release(d / 'speed-cpu.csv')})", "× yolov8n",
            f"operators per forward ({release(d / 'opcount.csv')})", "× yolov8n",
            f"H200 FPS ({release(d / GPU_CSVS[0])})", "× yolov8n"]
    lines = [SPEED_CAPTION, "", *md_table(head, body)]
    earlier = []
    for name in GPU_CSVS[1:]:
        runs = {r["model"]: r for r in read_plain(d / name)}
        ref = num(runs, BASELINE, "best_fps")
        for m in SPEED_MODELS:
            fps = num(runs, m, "best_fps")
            if m != BASELINE and fps and ref:
                earlier.append(f"{m} {ratio(fps, ref)} ({fps:.0f} against {ref:.0f} FPS, {release(d / name)}, "
                               f"`{name}`)")
    if earlier:
        lines += ["", f"Earlier H200 runs against yolov8n (same path; run-to-run spread is this large): "
                      f"{'; '.join(earlier)}."]
    other = read_plain(d / "readme-latency.csv")
    if other:
        runs = "; ".join(f"{r['runtime']} {float(r['latency_vs_yolov8n']):.2f}x ({r['release']}, {r['run']})"
                         for r in other)
        lines += ["", f"Other runs of {other[0]['model']} against yolov8n on the same CPU: {runs}."]
    return "\n".join(lines) + "\n"


def runtimes_block(results_dir):
    """Each exported runtime of sdgasnet-n and yolov8n: test mAP50, INT8's loss and box agreement with PyTorch."""
    path = Path(results_dir) / "runtimes.csv"
    plain = read_plain(path)
    rows = {(r["model"], r["variant"]): r for r in plain}
    body = []
    for variant, label in RUNTIMES.items():
        cells = [label]
        for m in (SHIPPED, BASELINE):
            r = rows.get((m, variant))
            if r is None:
                cells += ["–", "–", "–"]
                continue
            loss = f"{100 * float(r['map50_minus_fp32']):+.1f}" if r["map50_minus_fp32"] else ""
            cells += [f"{100 * float(r['map50']):.1f}", loss,
                      f"{float(r['box_max_px']):.1f} px, {r['boxes_matched']} boxes"]
        shipped = rows.get((SHIPPED, variant)) or {}
        timed = shipped.get("latency_ms")
        cells.append(f"{float(timed):.1f} ({float(shipped['latency_vs_yolov8n']):.2f}x)" if timed else "–")
        body.append(cells)
    head = ["runtime", "sdgasnet-n test mAP50", "INT8 − FP32", "boxes vs PyTorch", "yolov8n test mAP50",
            "INT8 − FP32", "boxes vs PyTorch", "sdgasnet-n latency, ms (× yolov8n)"]
    return (f"Release {release(path, plain)}, one seed's weights of the steel protocol ({RUNTIMES_SEED}), exported "
            "by the stock `yolo export`; latency: batch 1 at the protocol's imgsz, the CPU of the speed table, median "
            "of the interleaved rounds (`--runs`), yolov8n timed in the same rounds:\n\n"
            + "\n".join(md_table(head, body)) + "\n")


def distill_block(results_dir):
    """The distillation benchmark on the shipped model: paired differences in test mAP50 of the enhanced KL against
    the student alone and against the student alone for twice the epochs (compute-matched)."""
    path = Path(results_dir) / DISTILL
    rows = read_rows(path)
    if not rows:
        return "Not measured.\n"
    by, boot = by_model(rows), read_boot(path)
    name = {"a": DISTILL_STUDENT, "c": f"{DISTILL_STUDENT}+sd", "e": f"{DISTILL_STUDENT}+2x-epochs"}
    body = []
    for x, y in (("c", "a"), ("c", "e"), ("e", "a")):
        if name[x] in by and name[y] in by:
            n, diff, per_seed = compare(by, boot, name[x], name[y])
            body.append([f"{LABELS[x]} − {LABELS[y]}", n, diff, per_seed, ratio_text(by[name[x]], by[name[y]])])
    r = rows[0]
    caption = (f"Release {release(path, rows)}, `{DISTILL_STUDENT}` as student and teacher (the teacher "
               f"one seed before the student): `{r['data']}`, {r['epochs']} epochs at imgsz {r['imgsz']} (alone, 2x "
               f"epochs: {2 * r['epochs']}), test mAP50 points, mean [two-level bootstrap over seeds and test images]; "
               "step time: median training step against the other row's:")
    head = ["recipe", "seeds", "Δ test mAP50", "per seed", "step time"]
    return caption + "\n\n" + "\n".join(md_table(head, body)) + "\n"


def plain_table(path, columns):
    """A hand-kept CSV as a Markdown table of the given (column, header) pairs; empty cells as blanks."""
    rows = read_plain(path)
    return "\n".join(md_table([h for _, h in columns], [[r[c] for c, _ in columns] for r in rows])) + "\n"


def runs_block(results_dir):
    """What a run costs: demo and test-suite runs timed by hand (readme-runs.csv)."""
    return plain_table(Path(results_dir) / "readme-runs.csv", (
        ("run", "run"), ("release", "release"), ("epochs", "epochs"), ("imgsz", "imgsz"), ("machine", "machine"),
        ("load", "load"), ("total", "total"), ("mAP50", "mAP50"), ("split", "mAP50 on")))


def disk_block(results_dir):
    """Where outputs go and their size on disk (readme-disk.csv)."""
    return plain_table(Path(results_dir) / "readme-disk.csv", (
        ("what", "what"), ("where", "where"), ("disk", "disk"), ("release", "measured with")))


def models_block(results_dir=None):
    """Params and GFLOPs of each sdgasnet scale as ultralytics' model summary reports them (built, not trained)."""
    import sdgas_ultra
    from ultralytics import YOLO
    from ultralytics.utils.torch_utils import model_info

    sdgas_ultra.activate()  # the start-up hook does this when installed; explicit for a source checkout
    body = []
    for s in SCALES:
        model = YOLO(f"sdgasnet-{s}.yaml").model
        assert model.yaml["nc"] == MODELS_NC, f"sdgasnet-{s}.yaml has {model.yaml['nc']} classes"
        _, params, _, gflops = model_info(model, imgsz=MODELS_IMGSZ)
        body.append([f"sdgasnet-{s}", f"{params / 1e6:.2f}", f"{gflops:.1f}"])
    caption = (f"Release {sdgas_ultra.__version__}, {MODELS_NC} classes, imgsz {MODELS_IMGSZ}, as the ultralytics "
               f"model summary prints them when a model is built:")
    return caption + "\n\n" + "\n".join(md_table(["model", "params (M)", "GFLOPs"], body)) + "\n"


BLOCKS = {"runs": runs_block, "disk": disk_block, "runtimes": runtimes_block, "speed": speed_block,
          "models": models_block, "accuracy": accuracy_block, "variants": variants_block,
          "distill": distill_block}
DATA_BLOCKS = tuple(n for n in BLOCKS if n != "models")  # rendered from the CSVs alone (no model builds)


def render(results_dir=RESULTS_DIR, names=tuple(BLOCKS)):
    """{block name: Markdown text} of the named blocks."""
    return {n: BLOCKS[n](results_dir) for n in names}


def stale(doc, blocks):
    """Names of the blocks whose text in doc differs from `blocks` (or that doc lacks)."""
    return [n for n, text in blocks.items() if read_block(doc, f"readme:{n}") != text]


def update(doc, blocks):
    """doc with every block replaced by its rendered text."""
    for n, text in blocks.items():
        doc = replace_block(doc, text, f"readme:{n}", README.name)
    return doc


def main(argv=None):
    """Rewrite README.md's blocks, or with --check report the ones that differ (exit 1)."""
    p = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block differs from its data")
    p.add_argument("--readme", type=Path, default=README)
    p.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder of the results CSVs")
    args = p.parse_args(argv)
    doc, blocks = args.readme.read_text(), render(args.results)
    if args.check:
        bad = stale(doc, blocks)
        if bad:
            raise SystemExit(f"{args.readme}: block(s) {', '.join(bad)} differ from benchmarks/results/; run "
                             f"`{COMMAND}` and commit README.md")
        print(f"{args.readme}: all {len(blocks)} blocks match their data")
        return
    args.readme.write_text(update(doc, blocks))
    print(f"rewrote {len(blocks)} blocks of {args.readme}: {', '.join(blocks)}")


if __name__ == "__main__":
    main()
