# sdgas-ultra, AGPL-3.0
"""`sdgas stats DATA.yaml`: what a YOLO detection dataset holds, as a text table and a PNG plot beside it.

Reported per class: images and instances (per split too), box sizes in three buckets by COCO's absolute area
(small < 32², medium < 96², large, in pixels of the original image) and by area relative to the image (the same
thresholds scaled to a 640-px image: < 0.25 %, < 2.25 %, larger), and the median aspect ratio (width / height);
for the whole dataset, boxes per image and an aspect-ratio histogram.

Also home of the small readers that other commands reuse: `load_dataset` and `read_labels` (`sdgas tile`),
`list_sources` (`sdgas predict-tiled`, `sdgas explain`).
"""

from __future__ import annotations

import glob
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..base.paths import plugin_file
from .atomic import atomic_file
from .commands import add_command
from .errors import command
from .voc import IMG_SUFFIXES, image_size

COCO_AREAS = (32**2, 96**2)  # px², upper bounds of small and medium
REL_AREAS = (COCO_AREAS[0] / 640**2, COCO_AREAS[1] / 640**2)  # fraction of the image area
SIZES = ("small", "medium", "large")
ASPECT_EDGES = (0.25, 0.5, 1.0, 2.0, 4.0)  # w/h bucket edges: <1:4, 1:4-1:2, 1:2-1, 1-2, 2-4, >4:1
ASPECT_LABELS = ("<1:4", "1:4-1:2", "1:2-1:1", "1:1-2:1", "2:1-4:1", ">4:1")
SPLITS = ("train", "val", "test")


def resolve_yaml(data):
    """Path of a dataset YAML given as a path or as a bare name shipped with the plugin (e.g. 'neu.yaml')."""
    path = Path(data)
    if path.is_file():
        return path
    hit = plugin_file(data)
    if hit:
        return Path(hit)
    raise FileNotFoundError(f"dataset YAML '{data}' not found (a path, or a name in the plugin's cfg/datasets)")


def _list_images(entry, root):
    """Image files named by one `train:`/`val:` entry: a folder (searched recursively), a .txt list, or a file."""
    p = Path(entry)
    p = p if p.is_absolute() else root / p
    if p.is_dir():
        return sorted(f for f in p.rglob("*") if f.suffix.lower() in IMG_SUFFIXES)
    if p.suffix == ".txt" and p.is_file():
        lines = [s.strip() for s in p.read_text().splitlines() if s.strip()]
        return [Path(s) if Path(s).is_absolute() else (p.parent / s).resolve() for s in lines]
    if p.is_file():
        return [p]
    raise FileNotFoundError(f"'{entry}' (resolved to {p}) is not a folder, image list or image")


def list_sources(source):
    """Image files named by SOURCE: a file, a folder (its images, sorted) or a glob pattern."""
    p = Path(source)
    if p.is_file():
        return [p]
    files = sorted(p.iterdir()) if p.is_dir() else sorted(map(Path, glob.glob(str(source))))
    files = [f for f in files if f.suffix.lower() in IMG_SUFFIXES]
    if not files:
        raise FileNotFoundError(f"no images found at '{source}'")
    return files


def load_dataset(data):
    """Read a dataset YAML: {'file', 'root', 'names' (list), 'splits': {split: [image paths]}}.

    The root is resolved as ultralytics does: `path` absolute, relative to the working directory if it exists there,
    else relative to its datasets_dir; without `path`, the YAML's own folder.
    """
    import yaml

    file = resolve_yaml(data)
    try:
        cfg = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"{file}: not valid YAML ({e})") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{file}: expected a mapping of keys (path, train, val, names), got {type(cfg).__name__}")
    if "path" in cfg and cfg["path"]:
        root = Path(cfg["path"])
        if not root.is_absolute() and not root.exists():
            from ultralytics.utils import DATASETS_DIR

            root = DATASETS_DIR / root
    else:
        root = file.parent
    names = cfg.get("names")
    if names is None:
        raise ValueError(f"{file}: no 'names:'")
    names = [names[i] for i in sorted(names)] if isinstance(names, dict) else list(names)
    splits = {}
    for split in SPLITS:
        entries = cfg.get(split)
        if not entries or (split == "val" and entries == cfg.get("train")):
            continue
        entries = entries if isinstance(entries, list) else [entries]
        try:
            splits[split] = [f for e in entries for f in _list_images(e, root)]
        except FileNotFoundError as e:
            raise FileNotFoundError(f"{file}: {split}: {e}") from None
    return {"file": file, "root": root, "names": names, "splits": splits}


def read_labels(file):
    """(N, 5) float array [cls, cx, cy, w, h] (normalized) from a YOLO label file; polygons become their boxes."""
    from ultralytics.utils.ops import segments2boxes

    file = Path(file)
    rows = []
    if file.is_file():
        for i, line in enumerate(file.read_text().splitlines()):
            v = line.split()
            if not v:
                continue
            try:
                nums = [float(x) for x in v]
            except ValueError:
                raise ValueError(f"{file}:{i + 1}: non-numeric label row '{line}'") from None
            if len(nums) == 5:
                rows.append(nums)
            elif len(nums) >= 7 and len(nums) % 2 == 1:  # segment: cls x1 y1 x2 y2 ...
                rows.append([nums[0], *segments2boxes([np.array(nums[1:]).reshape(-1, 2)])[0]])
            else:
                raise ValueError(f"{file}:{i + 1}: expected 5 values (cls cx cy w h), got {len(nums)}")
    return np.array(rows, dtype=float).reshape(-1, 5)


def _bucket(value, edges):
    return int(np.searchsorted(edges, value, side="right"))


@dataclass
class DatasetStats:
    """Counts gathered over a dataset; every per-class table is indexed by class id."""

    names: list
    images: Counter = field(default_factory=Counter)  # split -> images
    instances: dict = field(default_factory=lambda: defaultdict(Counter))  # split -> Counter(class id)
    class_images: Counter = field(default_factory=Counter)  # class id -> images containing it
    boxes_per_image: list = field(default_factory=list)
    coco: dict = field(default_factory=lambda: defaultdict(Counter))  # class id -> Counter(size bucket)
    relative: dict = field(default_factory=lambda: defaultdict(Counter))
    aspects: dict = field(default_factory=lambda: defaultdict(list))  # class id -> [w/h, ...]

    def total(self, c):
        return sum(self.instances[s][c] for s in self.instances)


def dataset_stats(data):
    """Gather DatasetStats for a dataset YAML (path or bare plugin name)."""
    from ultralytics.data.utils import img2label_paths

    ds = load_dataset(data)
    st = DatasetStats(names=ds["names"])
    for split, images in ds["splits"].items():
        for image, label in zip(images, img2label_paths(images)):
            labels = read_labels(label)
            w, h = image_size(image)
            st.images[split] += 1
            st.boxes_per_image.append(len(labels))
            for c in set(labels[:, 0].astype(int)):
                st.class_images[c] += 1
            for c, _, _, bw, bh in labels:
                c, pw, ph = int(c), bw * w, bh * h
                st.instances[split][c] += 1
                st.coco[c][SIZES[_bucket(pw * ph, COCO_AREAS)]] += 1
                st.relative[c][SIZES[_bucket(bw * bh, REL_AREAS)]] += 1
                st.aspects[c].append(pw / ph if ph > 0 else float("inf"))
    return st


def format_table(st, title=""):
    """The statistics as a fixed-width text table."""
    splits = [s for s in SPLITS if st.images[s]]
    ids = sorted(set(range(len(st.names))) | {c for s in st.instances for c in st.instances[s]})
    name = lambda c: st.names[c] if c < len(st.names) else f"<id {c}>"  # noqa: E731
    width = max([len(name(c)) for c in ids] + [5])
    head = f"{'class':<{width}} {'images':>7} {'inst':>7}" + "".join(f" {s + '_inst':>10}" for s in splits)
    head += "".join(f" {'coco_' + s[0]:>7}" for s in SIZES) + "".join(f" {'rel_' + s[0]:>6}" for s in SIZES)
    head += f" {'aspect':>7}"
    lines = [title] if title else []
    lines.append("images: " + ", ".join(f"{s} {st.images[s]}" for s in splits) + f" (total {sum(st.images.values())})")
    lines += [head, "-" * len(head)]

    def row(label, imgs, counts, coco, rel, aspects):
        med = f"{np.median(aspects):.2f}" if aspects else "-"
        r = f"{label:<{width}} {imgs:>7} {sum(counts.values()):>7}" + "".join(f" {counts[s]:>10}" for s in splits)
        return r + "".join(f" {coco[s]:>7}" for s in SIZES) + "".join(f" {rel[s]:>6}" for s in SIZES) + f" {med:>7}"

    for c in ids:
        counts = Counter({s: st.instances[s][c] for s in splits})
        lines.append(row(name(c), st.class_images[c], counts, st.coco[c], st.relative[c], st.aspects[c]))
    every = lambda table: sum((table[c] for c in ids), Counter())  # noqa: E731
    counts = Counter({s: sum(st.instances[s].values()) for s in splits})
    imgs = sum(1 for n in st.boxes_per_image if n)
    lines.append(row("all", imgs, counts, every(st.coco), every(st.relative), [a for c in ids for a in st.aspects[c]]))
    lines.append("(images: images containing the class; all: images with any box; coco_s/m/l: area < 32², < 96², "
                 "larger, in px; rel_s/m/l: area < 0.25 %, < 2.25 %, larger, of the image; aspect: median w/h)")
    bpi = np.array(st.boxes_per_image or [0])
    hist = Counter(min(int(n), 10) for n in bpi)
    lines.append(f"boxes per image: mean {bpi.mean():.2f}, median {np.median(bpi):g}, max {bpi.max()}; "
                 + ", ".join(f"{k if k < 10 else '10+'}: {hist[k]}" for k in sorted(hist)))
    aspects = [a for c in ids for a in st.aspects[c]]
    ah = Counter(_bucket(a, ASPECT_EDGES) for a in aspects)
    lines.append("aspect ratio w/h: " + ", ".join(f"{lab} {ah[i]}" for i, lab in enumerate(ASPECT_LABELS)))
    return "\n".join(lines)


def plot_stats(st, file):
    """Save a 2x2 PNG: instances per class, boxes per image, size buckets, aspect-ratio histogram."""
    from matplotlib.figure import Figure  # no pyplot: leaves the user's backend alone
    from matplotlib.ticker import MaxNLocator

    ids = list(range(len(st.names)))
    fig = Figure(figsize=(12, 8), tight_layout=True)
    ax = fig.subplots(2, 2)
    ax[0, 0].bar(st.names, [st.total(c) for c in ids], color="tab:blue")
    ax[0, 0].set_title("instances per class")
    ax[0, 0].tick_params(axis="x", rotation=30)
    bpi = np.array(st.boxes_per_image or [0])
    ax[0, 1].hist(bpi, bins=np.arange(bpi.max() + 2) - 0.5, color="tab:orange")
    ax[0, 1].set_title("boxes per image")
    ax[0, 1].xaxis.set_major_locator(MaxNLocator(integer=True))
    x = np.arange(len(SIZES))
    coco = [sum(st.coco[c][s] for c in ids) for s in SIZES]
    rel = [sum(st.relative[c][s] for c in ids) for s in SIZES]
    ax[1, 0].bar(x - 0.2, coco, 0.4, label="COCO area (px)")
    ax[1, 0].bar(x + 0.2, rel, 0.4, label="relative to image")
    ax[1, 0].set_xticks(x, SIZES)
    ax[1, 0].legend()
    ax[1, 0].set_title("box sizes")
    aspects = [a for c in ids for a in st.aspects[c] if 0 < a < float("inf")]
    ax[1, 1].hist(np.log2(aspects) if aspects else [], bins=24, color="tab:green")
    ax[1, 1].set_title("aspect ratio, log2(w/h)")
    fig.savefig(file, dpi=100)


def add_parser(sub):
    """Register `sdgas stats DATA.yaml [--out DIR]`."""
    p = add_command(sub, "stats", _run, __doc__,
                    "per-class counts, box sizes and aspect ratios of a dataset (table + PNG)")
    p.add_argument("data", help="dataset YAML: a path, or a name shipped with the plugin (neu.yaml)")
    p.add_argument("--out", help="output folder (default: runs/stats/<name>, incremented)")
    return p


@command("sdgas stats")
def _run(args):
    from ultralytics.utils.files import increment_path

    file = resolve_yaml(args.data)
    st = dataset_stats(file)
    out = Path(args.out) if args.out else increment_path(Path("runs/stats") / file.stem)
    table = format_table(st, title=f"dataset: {file}")
    with atomic_file(out / "stats.txt") as tmp:
        tmp.write_text(table + "\n")
    with atomic_file(out / "stats.png") as tmp:
        plot_stats(st, tmp)
    print(table)
    print(f"saved {out / 'stats.txt'} and {out / 'stats.png'}")
    return 0
