# sdgas-ultra, AGPL-3.0
"""The training protocol that accuracy and distill share: options, run folders, training and resume.

Every run trains from scratch (`deterministic=True`, the seed of the run) with the protocol's settings; best.pt is
chosen on the val split and evaluated once on val and once on the test split, which chooses nothing. A finished run
appends its bootstrap replicates, its learning curve (val mAP50 after each epoch) and last its row to the results
files; a rerun skips it, and a folder without a row (interrupted) is trained again.
Run folders are <out>/<protocol>/<model>/seed<k>: runs of another protocol (dataset, budget, size) never share one.
"""

import shutil
import time
from pathlib import Path

from . import cli
from .evaluation import measure, val_curve
from .results import append_row, boot_columns, boot_path, curve_columns, curve_path, done, read_rows

SETTINGS = ("data", "epochs", "imgsz", "batch", "optimizer", "fraction")  # what all runs of one protocol share


def parser(doc, name):
    """Argument parser with the options every training benchmark has; `name` (accuracy, distill) names the default
    run folder runs/<name> and results file."""
    p = cli.parser(doc, name)
    p.add_argument("--data", default="synthetic-defects.yaml", help="dataset YAML, the same for every run")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--imgsz", type=int, default=192, help="training and validation image size")
    p.add_argument("--batch", type=int, default=16, help="fixed batch size (no auto-batch: it would differ per model)")
    p.add_argument("--optimizer", default="auto", help="one optimizer for all ('auto' picks by iteration count)")
    p.add_argument("--workers", type=int, default=0, help="dataloader workers")
    p.add_argument("--device", default="cpu", help="training device, e.g. cpu or 0")
    p.add_argument("--fraction", type=float, default=1.0, help="fraction of the training set to use")
    p.add_argument("--out", type=Path, default=Path(f"runs/{name}"),
                   help="run folders, <out>/<protocol>/<model>/seed<k>")
    p.add_argument("--results", type=Path, help=f"results CSV (default: benchmarks/results/{name}-<protocol>.csv)")
    p.add_argument("--report", action="store_true", help="train nothing; print the tables of the results")
    return p


def check_args(p, args):
    """Reject values that would make runs differ or fail late; set args.tag (the protocol's file-name tag) and make
    --out the protocol's own folder in it, absolute (ultralytics would nest a relative project under its runs_dir)."""
    cli.at_least(p, args, {"epochs": 1, "imgsz": 32, "batch": 1, "workers": 0})
    if not 0 < args.fraction <= 1:
        p.error(f"--fraction must be in (0, 1], got {args.fraction}")
    if len(set(args.seeds)) != len(args.seeds):
        p.error("--seeds must not repeat a seed")
    args.tag = protocol_tag(settings(args))
    args.out = (args.out / args.tag).resolve()


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


def run_pending(runs, results, out):
    """Train every run that has no row in the results CSV yet, in order. runs: (name, seed, expected settings,
    train, note) tuples; train(folder) trains into folder and returns (row columns, bootstrap replicates)."""
    from sdgas_ultra import __version__

    start = time.time()
    for k, (name, seed, expected, train, note) in enumerate(runs, 1):
        folder, tag = run_dir(out, name, seed), f"[{k}/{len(runs)}] {name} seed {seed}"
        row = done(read_rows(results), name, seed, expected)
        if row:
            print(f"{tag}: finished earlier, skipped (mAP50 {row['map50']:.3f})")
            continue
        print(f"{tag}: training{note}")
        if folder.exists():
            print(f"  removing unfinished run {folder}")
            shutil.rmtree(folder)
        t0 = time.time()
        columns, boot = train(folder)
        row = {"model": name, "seed": seed, **expected, **columns, "train_s": round(time.time() - t0, 1),
               "version": __version__}
        append_row(boot_path(results), {"model": name, "seed": seed, **boot_columns(boot)})
        curve = val_curve(folder / "results.csv")
        append_row(curve_path(results), {"model": name, "seed": seed, **curve_columns(curve)})
        append_row(results, row)  # last: the row marks the run as done
        print(f"{tag}: val mAP50 {row['map50']:.3f}, test mAP50 {row.get('test_map50', float('nan')):.3f} -> "
              f"{results} (elapsed {time.time() - start:.0f} s)")


def train(yaml, seed, args, folder, callbacks=None, **overrides):
    """Train one run of model `yaml` from scratch into folder (settings(args), with overrides such as epochs or
    distillation keys), then measure it: returns measure()'s (metrics, replicates)."""
    from sdgas_ultra import SDGASModel

    model = SDGASModel(yaml)
    for event, fn in (callbacks or {}).items():
        model.add_callback(event, fn)
    model.train(**{**settings(args), **overrides}, seed=seed, deterministic=True, pretrained=False,
                device=args.device, plots=False, workers=args.workers, project=str(folder.parent), name=folder.name,
                exist_ok=True)
    return measure(folder, args)
