# sdgas-ultra, AGPL-3.0
"""Synthetic defect datasets, generated offline: one writer for three kinds of surface.

Kinds (one module each under sdgas_ultra.data.surfaces, which says how its images are drawn):
  steel    `synthetic-defects`: NEU-DET-like hot-rolled steel, 6 classes, 200 px grayscale (the default kind)
  pcb      `synthetic-pcb`: PKU-Market-PCB-like copper traces with tiny defects, 6 classes, 256 px colour
  textile  `synthetic-textile`: TILDA-like woven fabric, 4 classes, 256 px grayscale
They stand in for the real datasets where those are not at hand (tests, CI, demos, quick ablations); none is a
benchmark. A dataset is written as an Ultralytics YOLO dataset: images/{train,val,test}/*.png (one channel, or three
in BGR order for pcb), labels/{train,val,test}/*.txt (`class cx cy w h`, normalised), data.yaml (`channels:`) and
the marker .synthetic.json (parameters and counts), written last. The test split is for reporting only: nothing
(best.pt, a design) is chosen on it; its images come from their own random stream, apart from train and val.

Determinism: image i of a split draws from its own generator seeded with (seed, split, i) plus the kind's own
stream words (none for steel, so its images are those of 0.3.1), so the same parameters give byte-identical files,
changing --train/--val does not change the other images, and two kinds never share random draws.
"""

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from .atomic import atomic_dir
from .errors import command
from .surfaces import SURFACES, steel, surface

CLASSES = steel.CLASSES  # the default kind's, as before the other surfaces existed
MIN_BOX = steel.MIN_BOX
SPLITS = ("train", "val", "test")
# trains meaningfully in minutes on a 2-core CPU; the steel kind's (other kinds change imgsz to theirs)
DEFAULTS = {"train": 600, "val": 150, "test": 300, "seed": 0, "imgsz": steel.IMGSZ, "easy": False}
GENERATOR = "sdgas_ultra.data.synthetic"
MARKER = ".synthetic.json"  # written last: its presence means the dataset is complete


def defaults(kind="steel"):
    """Generation parameters of `kind` by default: DEFAULTS with the kind's image size."""
    return {**DEFAULTS, "imgsz": surface(kind).IMGSZ}


def sample(seed, split, index, imgsz=None, easy=False, kind="steel"):
    """Image `index` of `split` for `seed`, independent of every other image (imgsz None: the kind's default).

    Returns:
        img (np.ndarray): (imgsz, imgsz) uint8 grayscale image, or (imgsz, imgsz, 3) BGR for 3-channel kinds.
        labels (np.ndarray): (k, 5) float32 YOLO rows [cls, cx, cy, w, h], coordinates normalised to (0, 1].
    """
    from ultralytics.utils.ops import xyxy2xywhn

    surf = surface(kind)
    n = imgsz or surf.IMGSZ
    rng = np.random.default_rng([seed, SPLITS.index(split), index, *surf.STREAM])
    img, b = surf.render(rng, index % len(surf.CLASSES), n, easy)
    return img, np.concatenate([b[:, :1], xyxy2xywhn(b[:, 1:], n, n)], 1)


# ----------------------------------------------------------------------------------------------- dataset on disk
def _params(n_train, n_val, seed, imgsz, easy=False, n_test=0, kind="steel"):
    """Validated generation parameters as recorded in the marker ("test", "easy" and "kind" only when set or not
    steel, so markers written before the test split and the other kinds still match)."""
    surf = surface(kind)
    checks = (("n_train", n_train, 1), ("n_val", n_val, 1), ("n_test", n_test, 0), ("seed", seed, 0),
              ("imgsz", imgsz, 64))
    for name, v, lo in checks:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    params = {"version": surf.VERSION, "seed": int(seed), "train": int(n_train), "val": int(n_val),
              "imgsz": int(imgsz)}
    params = {**params, "test": int(n_test)} if n_test else params
    params = {**params, "easy": True} if easy else params
    return {**params, "kind": kind} if kind != "steel" else params


def _surface(params):
    """Surface module of a dataset's parameters."""
    return surface(params.get("kind", "steel"))


def _splits(params):
    """The splits a dataset with these parameters holds (test only when it has test images)."""
    return tuple(s for s in SPLITS if params.get(s))


def read_marker(out_dir):
    """Marker dict of a synthetic dataset (any kind) at out_dir, or None if there is none (or it is not ours)."""
    try:
        meta = json.loads((Path(out_dir) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("generator") == GENERATOR else None


def _state(out, params):
    """What is at `out`: 'missing', 'empty', 'same' (complete, these params), 'ours' (other params) or 'foreign'."""
    if not out.exists():
        return "missing"
    if not out.is_dir():
        return "foreign"
    if not any(out.iterdir()):
        return "empty"
    meta = read_marker(out)
    if meta is None:
        return "foreign"
    complete = all(
        len(list((out / kind / split).glob(f"*{ext}"))) == params[split]
        for split in _splits(params)
        for kind, ext in (("images", ".png"), ("labels", ".txt"))
    )
    return "same" if meta.get("params") == params and complete else "ours"


def _data_yaml(out, params):
    """Text of data.yaml for the final location `out`."""
    p, surf = params, _surface(params)
    names = "".join(f"  {i}: {name}\n" for i, name in enumerate(surf.CLASSES))
    test = "test: images/test # for reporting only: choose nothing on it\n" if p.get("test") else ""
    look = "grayscale" if surf.CHANNELS == 1 else "colour (BGR)"
    kind = f" --kind {p['kind']}" if "kind" in p else ""
    return (
        f"# {surf.NAME}: {surf.TITLE}, {p['imgsz']}x{p['imgsz']} {look}\n"
        f"# written by: sdgas synth OUT{kind} --train {p['train']} --val {p['val']} --test {p.get('test', 0)} "
        f"--seed {p['seed']} --imgsz {p['imgsz']}{' --easy' if p.get('easy') else ''}\n"
        f"path: {json.dumps(str(out))}\ntrain: images/train\nval: images/val\n{test}channels: {surf.CHANNELS}\n"
        f"names:\n{names}"
    )


def _write_split(root, split, params):
    """Write images/<split>/*.png and labels/<split>/*.txt under root; returns instances per class (list)."""
    counts = [0] * len(_surface(params).CLASSES)
    (root / "images" / split).mkdir(parents=True)
    (root / "labels" / split).mkdir(parents=True)
    digits = max(5, len(str(params[split] - 1)))
    for i in range(params[split]):
        img, labels = sample(params["seed"], split, i, params["imgsz"], params.get("easy", False),
                             params.get("kind", "steel"))
        ok, png = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 6])
        if not ok:
            raise OSError(f"PNG encoding failed for {split} image {i}")
        (root / "images" / split / f"{i:0{digits}d}.png").write_bytes(png.tobytes())
        rows = [f"{int(c)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n" for c, cx, cy, w, h in labels.tolist()]
        (root / "labels" / split / f"{i:0{digits}d}.txt").write_text("".join(rows))
        for c in labels[:, 0].astype(int):
            counts[c] += 1
    return counts


def generate(out_dir, n_train=600, n_val=150, seed=0, imgsz=200, overwrite=False, easy=False, n_test=300,
             kind="steel"):
    """Write a synthetic dataset of `kind` to out_dir, atomically, and return the path of its data.yaml.

    The dataset is built in a hidden sibling directory and renamed into place at the end, so out_dir either holds
    a complete dataset or is left as it was. An out_dir that already holds a complete dataset with the same
    parameters is kept as is (immediate return).

    Args:
        out_dir (str | Path): dataset root to create; it may be missing or an empty directory.
        n_train (int): training images, >= 1.
        n_val (int): validation images, >= 1.
        n_test (int): test images, >= 0 (0: no test split), drawn from their own stream (seed, "test", i).
        seed (int): base seed, >= 0; image i of a split is seeded from (seed, split, i) and the kind's stream.
        imgsz (int): image side in pixels, >= 64. The default is steel's 200; pcb and textile images are 256 by
            default in their YAMLs and `sdgas synth` (`defaults(kind)`). Steel and textile features scale with it;
            a pcb board grows with it at the same feature sizes (large boards for `sdgas tile`).
        easy (bool): the easy variant (no faint defects or look-alikes, stronger defects; see the surface).
        kind (str): 'steel' (synthetic-defects), 'pcb' (synthetic-pcb) or 'textile' (synthetic-textile).
        overwrite (bool): replace an earlier synthetic dataset made with other parameters (never a directory
            without our marker).

    Raises:
        FileExistsError: out_dir is non-empty and not a synthetic dataset, or is one with other parameters and
            overwrite is False.
        ValueError: invalid sizes, seed, imgsz or kind.
    """
    params = _params(n_train, n_val, seed, imgsz, easy, n_test, kind)
    name = surface(kind).NAME
    out = Path(out_dir).expanduser().resolve()
    state = _state(out, params)
    if state == "same":
        return out / "data.yaml"
    if state == "foreign":
        raise FileExistsError(
            f"{out} exists and is not an empty directory or a {name} dataset; refusing to overwrite it"
        )
    if state == "ours" and not overwrite:
        old = (read_marker(out) or {}).get("params")
        raise FileExistsError(
            f"{out} holds a synthetic dataset with other parameters or missing files ({old}, wanted {params}); "
            "delete it, choose another directory, or replace it with overwrite=True (sdgas synth --force)"
        )
    try:
        with atomic_dir(out, replace=state == "ours") as tmp:
            instances = {split: _write_split(tmp, split, params) for split in _splits(params)}
            (tmp / "data.yaml").write_text(_data_yaml(out, params))
            meta = {
                "generator": GENERATOR,
                "params": params,
                "images": {split: params[split] for split in instances},
                "instances": {split: dict(zip(surface(kind).CLASSES, n)) for split, n in instances.items()},
            }
            (tmp / MARKER).write_text(json.dumps(meta, indent=1) + "\n")
    except FileExistsError:  # out changed meanwhile: fine if another process (a DDP rank) made the same dataset
        if _state(out, params) != "same":
            raise
    return out / "data.yaml"


def summary(out_dir):
    """One line: images per split and instances per class of the dataset at out_dir (read from its marker)."""
    meta = read_marker(out_dir)
    if meta is None:
        return f"{out_dir}: no synthetic dataset"
    p, surf = meta["params"], _surface(meta["params"])
    total = {c: sum(n[c] for n in meta["instances"].values()) for c in surf.CLASSES}
    return (
        f"{surf.NAME} ({'easy, ' if p.get('easy') else ''}seed {p['seed']}, {p['imgsz']}px): "
        f"{p['train']} train + {p['val']} val + {p.get('test', 0)} test images, "
        f"instances {', '.join(f'{c} {n}' for c, n in total.items())} -> {Path(out_dir) / 'data.yaml'}"
    )


def download(yaml, kind="steel"):
    """`download:` hook of cfg/datasets/synthetic-*.yaml: generate the dataset of `kind` at yaml['path'].

    Ultralytics' check_det_dataset runs the YAML's `download:` text with {"yaml": data} when the val images are
    missing; data["path"] is then the resolved dataset root. Sizes come from the optional YAML key
    `synthetic: {train, val, test, seed, imgsz, easy}`, each defaulting to defaults(kind).
    """
    name = surface(kind).NAME
    opts = {**defaults(kind), **(yaml.get("synthetic") or {})}
    unknown = set(opts) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"{name}: unknown 'synthetic:' keys {sorted(unknown)}; expected {sorted(DEFAULTS)}")
    root = Path(yaml["path"])
    for split in SPLITS:  # generate() writes the fixed layout images/<split>; a YAML pointing elsewhere cannot work
        want = (root / "images" / split).resolve()
        if yaml.get(split) and Path(yaml[split]).resolve() != want:
            raise ValueError(f"{name} needs '{split}: images/{split}', got {yaml[split]}")
    generate(root, opts["train"], opts["val"], opts["seed"], opts["imgsz"], easy=bool(opts["easy"]),
             n_test=opts["test"], kind=kind)
    print(summary(root))


# ----------------------------------------------------------------------------------------------- `sdgas synth`
def _count(text, low=1):
    """argparse type: integer >= low (1)."""
    v = int(text)
    if v < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
    return v


def _count0(text):
    """argparse type: integer >= 0."""
    return _count(text, 0)


def add_parser(subparsers):
    """Register `sdgas synth OUT [--kind steel] --train N --val N --test N --seed S --imgsz PX [--easy] [--force]`."""
    p = subparsers.add_parser(
        "synth",
        help="write a procedural synthetic defect dataset (steel: NEU-DET-like; pcb; textile)",
        description="Write an offline synthetic defect dataset (YOLO format, PNG) to OUT. "
        "OUT must not exist, be empty, or hold this same dataset (then nothing is done).",
    )
    p.add_argument("out", metavar="OUT", type=Path, help="dataset directory to create")
    p.add_argument("--kind", choices=tuple(SURFACES), default="steel",
                   help="surface: steel (synthetic-defects, 6 classes), pcb (synthetic-pcb, 6 classes, colour), "
                   "textile (synthetic-textile, 4 classes) (default %(default)s)")
    p.add_argument("--train", type=_count, default=DEFAULTS["train"], help="training images (default %(default)s)")
    p.add_argument("--val", type=_count, default=DEFAULTS["val"], help="validation images (default %(default)s)")
    p.add_argument("--test", type=_count0, default=DEFAULTS["test"],
                   help="test images, for reporting only; 0: none (default %(default)s)")
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="base seed (default %(default)s)")
    p.add_argument("--imgsz", type=int, help="image side in pixels (default: steel 200, pcb and textile 256)")
    p.add_argument("--easy", action="store_true", help="easy variant: no faint defects or look-alikes (quick demos)")
    p.add_argument("--force", action="store_true", help="replace an earlier synthetic dataset with other parameters")
    p.set_defaults(func=_synth)


@command("sdgas synth")
def _synth(args):
    """Run `sdgas synth`; returns the exit code."""
    before = (args.out / MARKER).read_bytes() if (args.out / MARKER).is_file() else None
    imgsz = surface(args.kind).IMGSZ if args.imgsz is None else args.imgsz
    yaml = generate(args.out, args.train, args.val, args.seed, imgsz, overwrite=args.force, easy=args.easy,
                    n_test=args.test, kind=args.kind)
    reused = before is not None and before == (yaml.parent / MARKER).read_bytes()
    print(summary(yaml.parent) + (" (already there, unchanged)" if reused else ""))
    return 0
