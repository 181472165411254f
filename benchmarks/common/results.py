# sdgas-ultra, AGPL-3.0
"""The results store: one CSV row per finished run (its row marks the run done); beside it the run's bootstrap
replicates (boot-*.csv) and its learning curve (curves-*.csv).

Rows are appended under a file lock and each write replaces the file atomically, so benchmark processes running side
by side never drop each other's rows; the header is the union of the rows' columns, in order of first appearance.
"""

import csv
from pathlib import Path

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"
INTEGERS = ("seed", "epochs", "imgsz", "batch")
NUMBERS = ("fraction", "map50", "map50_95", "params", "gflops640", "train_s", "test_map50", "test_map50_95",
           "val_gain_last_tenth")


def read_rows(path):
    """Rows of a results CSV as dicts with numbers parsed (seed, epochs, imgsz, batch int; metrics float, None when
    empty); [] if the file is absent."""
    if not Path(path).is_file():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k, v in r.items():
            if k in INTEGERS:
                r[k] = int(v)
            elif k in NUMBERS or k.startswith(("ap50:", "test_ap50:")):
                r[k] = float(v) if v != "" else None
    return rows


def write_rows(path, rows):
    """Write rows (dicts) as a CSV whose header is the union of their columns; atomic (a temp file, then rename)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(path).with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, list(dict.fromkeys(k for r in rows for k in r)), restval="")
        w.writeheader()
        w.writerows(rows)
    tmp.replace(path)


def append_row(path, row):
    """Append one run's row: the file is rewritten under a lock (see the module docstring)."""
    import fcntl

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(Path(path).with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        write_rows(path, read_rows(path) + [row])


def done(rows, model, seed, expected):
    """The finished row of (model, seed), or None; exits if its settings differ from `expected` (a dict)."""
    for r in rows:
        if r["model"] == model and r["seed"] == seed:
            got = {k: r[k] for k in expected}
            if {k: str(v) for k, v in got.items()} != {k: str(v) for k, v in expected.items()}:
                raise SystemExit(f"{model} seed {seed} in the results CSV was trained with {got}, not {expected}")
            return r
    return None


def boot_path(results):
    """The bootstrap replicates file beside a results CSV: accuracy-X.csv -> boot-X.csv, distill-X.csv ->
    boot-distill-X.csv."""
    return Path(results).with_name("boot-" + Path(results).name.removeprefix("accuracy-"))


def curve_path(results):
    """The learning-curve file beside a results CSV: accuracy-X.csv -> curves-X.csv, distill-X.csv ->
    curves-distill-X.csv."""
    return Path(results).with_name("curves-" + Path(results).name.removeprefix("accuracy-"))


def curve_columns(curve):
    """A learning curve as CSV cells: {"val_map50": "0.01234 0.05678 ..."} of val mAP50 after each epoch."""
    return {"val_map50": " ".join(f"{x:.5f}" for x in curve)}


def read_curves(results):
    """{(model, seed): (epochs,) array of val mAP50 after each epoch} of a results CSV's curve file ({} if none)."""
    if not curve_path(results).is_file():
        return {}
    with open(curve_path(results), newline="") as f:
        return {(r["model"], int(r["seed"])): np.array(r["val_map50"].split(), float) for r in csv.DictReader(f)}


def boot_columns(boot):
    """Replicates as CSV cells: {"boot_map50": "0.51234 0.49876 ...", ...} of {"map50": (BOOT,) array, ...}."""
    return {f"boot_{k}": " ".join(f"{x:.5f}" for x in v) for k, v in boot.items()}


def read_boot(results):
    """{(model, seed): {"map50": (BOOT,) array, "map50_95": ...}} of a results CSV's bootstrap file ({} if none)."""
    if not boot_path(results).is_file():
        return {}
    with open(boot_path(results), newline="") as f:
        return {(r["model"], int(r["seed"])): {k: np.array(r[f"boot_{k}"].split(), float)
                                               for k in ("map50", "map50_95")} for r in csv.DictReader(f)}


def replicates(boot, model, seeds, key="map50"):
    """{seed: (BOOT,) replicates of `key`} of one model over the given seeds that read_boot's `boot` holds."""
    return {s: boot[(model, s)][key] for s in seeds if (model, s) in boot}


def by_model(rows):
    """{model: {seed: row}} of results rows."""
    out = {}
    for r in rows:
        out.setdefault(r["model"], {})[r["seed"]] = r
    return out


def common_seeds(by, a, b, key):
    """Sorted seeds on which models a and b of `by` ({model: {seed: row}}) both have metric key."""
    return sorted(s for s in set(by.get(a, {})) & set(by.get(b, {}))
                  if by[a][s].get(key) is not None and by[b][s].get(key) is not None)
