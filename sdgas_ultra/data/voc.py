# sdgas-ultra, AGPL-3.0
"""`sdgas convert-voc`: Pascal VOC XML + images -> YOLO detection dataset (images/, labels/, data.yaml).

Files are found recursively under SRC and paired by file stem, so both NEU-DET layouts work: IMAGES/ + ANNOTATIONS/,
and train/ + validation/ with per-class image subfolders beside an annotations folder. A split named by a folder
(train, val, valid, validation, test) is kept; other images get a seeded split, stratified by class.

VOC boxes are 1-based inclusive pixels: pixel columns xmin..xmax cover [xmin - 1, xmax) in 0-based continuous
coordinates. Boxes are clipped to the image (read from the image file, not the XML's <size>).

Problem inputs are skipped and reported by file, never silently: malformed XML, invalid boxes, boxes outside the
image, unknown classes, images without XML, XML without images, duplicate stems and unreadable images. The output is
built in a hidden sibling folder and renamed into place at the end, so a failed run leaves nothing in OUT.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_dir
from .commands import add_command
from .errors import command

IMG_SUFFIXES = {".bmp", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"}
SPLIT_DIRS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
SKIP_DIRS = {"__MACOSX"}  # archive debris; hidden files and folders (".*") are skipped too

# problem kinds: the input is skipped (a whole file, or one box for the box kinds)
MALFORMED, INVALID_BOX, OUTSIDE, UNKNOWN = "malformed XML", "invalid box", "box outside image", "unknown class"
NO_XML, NO_IMAGE, DUPLICATE, UNREADABLE = "image without XML", "XML without image", "duplicate stem", "unreadable image"
CLIPPED = "box clipped"  # a note, not a problem: the box is kept, clipped to the image


@dataclass
class ConversionReport:
    """What a conversion produced and what it skipped; `problems` and `notes` hold (kind, file, detail) rows."""

    images: Counter = field(default_factory=Counter)  # split -> images written
    boxes: Counter = field(default_factory=Counter)  # class name -> boxes written
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    names: list = field(default_factory=list)

    def add(self, kind, file, detail=""):
        (self.notes if kind == CLIPPED else self.problems).append((kind, str(file), detail))

    def summary(self, limit=10):
        """Human-readable report: totals, then each problem kind with up to `limit` files."""
        split = ", ".join(f"{s} {n}" for s, n in sorted(self.images.items()))
        lines = [f"converted {sum(self.images.values())} images ({split}), {sum(self.boxes.values())} boxes"]
        lines += [f"  {name}: {self.boxes[name]} boxes" for name in self.names]
        for title, rows in (("skipped", self.problems), ("notes", self.notes)):
            for kind, n in sorted(Counter(k for k, _, _ in rows).items()):
                lines.append(f"{title}: {kind} x{n}")
                hits = [r for r in rows if r[0] == kind]
                lines += [f"  {f}{': ' + d if d else ''}" for _, f, d in hits[:limit]]
                if len(hits) > limit:
                    lines.append(f"  ... {len(hits) - limit} more")
        return "\n".join(lines)


class VOCError(ValueError):
    """An XML file that cannot be read as a VOC annotation."""


def parse_voc(xml_file):
    """Return [(name, xmin, ymin, xmax, ymax), ...] from a VOC XML file; raise VOCError if malformed."""
    try:
        root = ET.parse(xml_file).getroot()
    except (ET.ParseError, OSError) as e:
        raise VOCError(str(e)) from e
    if root.tag != "annotation":
        raise VOCError(f"root element is <{root.tag}>, not <annotation>")
    objects = []
    for i, obj in enumerate(root.iter("object")):
        name, box = obj.findtext("name"), obj.find("bndbox")
        if not name or not name.strip() or box is None:
            raise VOCError(f"object {i} lacks <name> or <bndbox>")
        try:
            coords = [float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")]
        except (TypeError, ValueError):
            raise VOCError(f"object {i} has a missing or non-numeric bndbox coordinate") from None
        objects.append((name.strip(), *coords))
    return objects


def voc_to_xyxy(xmin, ymin, xmax, ymax):
    """1-based inclusive VOC pixel box -> (4,) float array, 0-based continuous (x0, y0, x1, y1)."""
    return np.array([xmin - 1, ymin - 1, xmax, ymax], dtype=float)


def stratified_split(classes, val, seed=0):
    """Return the set of stems put in val: `val` of each class (rounded), drawn with `random.Random(seed)`.

    `classes` maps stem -> class key. Stems are sorted and classes visited in sorted order, so the result depends
    only on the set of stems, their classes, `val` and `seed`, never on file-system order.
    """
    rng, by_class, chosen = random.Random(seed), defaultdict(list), set()
    for stem in sorted(classes):
        by_class[classes[stem]].append(stem)
    for key in sorted(by_class):
        stems = by_class[key]
        rng.shuffle(stems)
        chosen.update(stems[: int(len(stems) * val + 0.5)])
    return chosen


def main_class(names):
    """Class key used to stratify an image: its most frequent object class ('' for an image without objects)."""
    if not names:
        return ""
    counts = Counter(names)
    return min(counts, key=lambda n: (-counts[n], n))


def source_files(src, exclude=()):
    """Image and XML files under src, skipping hidden entries, archive debris and folders named in `exclude`."""
    skip = SKIP_DIRS | set(exclude)
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in skip)
        for f in sorted(filenames):
            p = Path(dirpath) / f
            if not f.startswith(".") and (p.suffix.lower() in IMG_SUFFIXES or p.suffix.lower() == ".xml"):
                yield p


def _folder_split(path, src):
    """'train' / 'val' / 'test' if a folder between src and the file names a split, else None."""
    for part in reversed(path.relative_to(src).parts[:-1]):
        if part.lower() in SPLIT_DIRS:
            return SPLIT_DIRS[part.lower()]
    return None


def find_pairs(src, report, exclude=()):
    """Map stem -> (image, xml) for files under src; report unpaired and duplicate stems."""
    found = {"image": defaultdict(list), "xml": defaultdict(list)}
    for p in source_files(src, exclude):
        found["xml" if p.suffix.lower() == ".xml" else "image"][p.stem].append(p)
    pairs = {}
    for stem in sorted(set(found["image"]) | set(found["xml"])):
        images, xmls = found["image"].get(stem, []), found["xml"].get(stem, [])
        if len(images) > 1 or len(xmls) > 1:
            for p in images + xmls:
                report.add(DUPLICATE, p, f"stem '{stem}' occurs {len(images)}x as image, {len(xmls)}x as XML")
        elif not xmls:
            report.add(NO_XML, images[0])
        elif not images:
            report.add(NO_IMAGE, xmls[0])
        else:
            pairs[stem] = (images[0], xmls[0])
    return pairs


def image_size(file):
    """(width, height) of an image as ultralytics sees it (EXIF orientation applied); OSError naming a bad one."""
    from PIL import Image
    from ultralytics.data.utils import exif_size

    try:
        with Image.open(file) as im:
            return exif_size(im)
    except Exception as e:
        # ultralytics' Image.open retries an unidentified file with an optional HEIF plugin: report the first failure
        first = e.__context__ if isinstance(e, ImportError) and e.__context__ is not None else e
        raise OSError(f"cannot read image {file} ({first})") from None


def _read_pair(image, xml, rename, report):
    """(width, height, [(name, clipped (4,) xyxy), ...]) for one pair, or None if the pair is skipped."""
    from ultralytics.utils.ops import clip_boxes

    try:
        objects = parse_voc(xml)
    except VOCError as e:
        report.add(MALFORMED, xml, str(e))
        return None
    try:
        w, h = image_size(image)
    except OSError as e:
        report.add(UNREADABLE, image, str(e))
        return None
    boxes = []
    for name, *voc in objects:
        box = voc_to_xyxy(*voc)
        if box[2] <= box[0] or box[3] <= box[1]:
            report.add(INVALID_BOX, xml, f"{name} xmin,ymin,xmax,ymax={voc}")
            continue
        clipped = clip_boxes(box.copy(), (h, w))
        if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
            report.add(OUTSIDE, xml, f"{name} {voc} in a {w}x{h} image")
            continue
        if (clipped != box).any():
            report.add(CLIPPED, xml, f"{name} {voc} clipped to {w}x{h}")
        boxes.append((rename(name) if rename else name, clipped))
    return w, h, boxes


def _place(src, dst):
    """Hard-link src to dst (cheap for large datasets), copying where links are not possible."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def write_data_yaml(out, names, splits, comment="", extra=None):
    """Write out/data.yaml for a YOLO dataset laid out as out/images/<split>/ (no `path`: it is the YAML's folder);
    dict `extra` adds keys after the names (e.g. `channels: 1` kept from a source dataset)."""
    import yaml

    lines = [f"# {comment}"] if comment else []
    lines.append("train: images/train")
    lines.append("val: images/val" if "val" in splits else "val: images/train  # no validation images were found")
    if "test" in splits:
        lines.append("test: images/test")
    lines.append("names:")
    lines += [f"  {i}: {n}" for i, n in enumerate(names)]
    if extra:
        lines.append(yaml.safe_dump(extra, sort_keys=False, allow_unicode=True).rstrip("\n"))
    (Path(out) / "data.yaml").write_text("\n".join(lines) + "\n")


def convert_voc(src, out, names=None, val=0.2, seed=0, val_stems=None, folder_splits=True, rename=None, exclude=(),
                overwrite=False, verbose=True):
    """Convert the VOC dataset under `src` into a YOLO dataset at `out`; return a ConversionReport.

    Args:
        names (list[str] | None): class order; None takes the sorted set of names found.
        val (float): fraction of each class put in val for images whose split no folder names.
        seed (int): seed of that split.
        val_stems (set[str] | None): a fixed split (stem in set -> val, else train); overrides folders and `val`.
        folder_splits (bool): keep splits named by folders (train, val, validation, ...).
        rename (callable | None): maps an XML class name to a canonical one (e.g. 'Missing_hole' -> 'missing_hole').
        exclude (tuple[str]): folder names skipped while searching src.
    """
    src, out = Path(src).resolve(), Path(out).resolve()
    if not src.is_dir():
        raise FileNotFoundError(f"VOC source folder {src} does not exist")
    report = ConversionReport()
    read = _read_all(src, rename, exclude, report)
    report.names = list(names) if names else sorted({n for *_, boxes in read.values() for n, _ in boxes})
    index = {n: i for i, n in enumerate(report.names)}
    splits, unsplit = _assign_splits(read, src, val, seed, val_stems, folder_splits)
    with atomic_dir(out, replace=overwrite) as tmp:
        for stem in sorted(read):
            _write_pair(tmp, stem, splits[stem], read[stem], index, report)
        write_data_yaml(tmp, report.names, set(report.images), f"converted by `sdgas convert-voc` from {src}")
        (tmp / "convert_report.txt").write_text(report.summary(limit=10**9) + "\n")
    if verbose:
        print(report.summary())
        print(f"dataset written to {out} (full report: {out / 'convert_report.txt'})")
    if not report.images["val"]:
        print(f"WARNING: {_no_val_hint(unsplit, val)}", file=sys.stderr)
    return report


def _read_all(src, rename, exclude, report):
    """stem -> (image, xml, width, height, boxes) for each usable pair under src; ValueError if there is none."""
    read = {}
    for stem, (image, xml) in find_pairs(src, report, exclude).items():
        item = _read_pair(image, xml, rename, report)
        if item:
            read[stem] = (image, xml, *item)
    if not read:
        raise ValueError(f"no usable image + VOC XML pair found under {src}\n{report.summary()}")
    return read


def _assign_splits(read, src, val, seed, val_stems, folder_splits):
    """Return (stem -> split, unsplit): split by `val_stems`, else by folder names; the rest (unsplit: stem -> class
    key) by a seeded `val` split, stratified by class."""
    splits = {}
    for stem, (image, xml, *_) in read.items():
        if val_stems is not None:
            splits[stem] = "val" if stem in val_stems else "train"
        elif folder_splits:
            splits[stem] = _folder_split(image, src) or _folder_split(xml, src)
    unsplit = {s: main_class([n for n, _ in read[s][4]]) for s in read if not splits.get(s)}
    chosen = stratified_split(unsplit, val, seed)
    splits.update({s: "val" if s in chosen else "train" for s in unsplit})
    return splits, unsplit


def _known_boxes(xml, boxes, index, report):
    """[(class id, box), ...] of the boxes whose class is in `index` (name -> id); the others are reported."""
    for name, _ in boxes:
        if name not in index:
            report.add(UNKNOWN, xml, f"'{name}' is not one of {report.names}")
    return [(index[name], box) for name, box in boxes if name in index]


def _write_pair(tmp, stem, split, item, index, report):
    """Place one read pair's image in tmp/images/<split>/ and write its YOLO labels to tmp/labels/<split>/."""
    from ultralytics.utils.ops import xyxy2xywhn

    image, xml, w, h, boxes = item
    known = _known_boxes(xml, boxes, index, report)
    report.boxes.update(report.names[c] for c, _ in known)
    xywhn = xyxy2xywhn(np.array([box for _, box in known]).reshape(-1, 4), w, h)
    rows = [f"{c} " + " ".join(f"{v:.6f}" for v in r) for (c, _), r in zip(known, xywhn.tolist())]
    for kind in ("images", "labels"):
        (tmp / kind / split).mkdir(parents=True, exist_ok=True)
    _place(image, tmp / "images" / split / image.name)
    (tmp / "labels" / split / f"{stem}.txt").write_text("".join(r + "\n" for r in rows))
    report.images[split] += 1


def _no_val_hint(unsplit, val):
    """Why a conversion has no validation images and how to get some (unsplit: stem -> class key, split by `val`)."""
    hint = "put validation images in a val/ folder under SRC"
    if unsplit:
        largest = max(Counter(unsplit.values()).values())
        enough = min(math.ceil(100 * 0.5 / largest) / 100, 0.5)  # int(largest * val + 0.5) >= 1
        hint = f"pass --val {enough} or more (val={enough} in Python), or " + hint
    return (f"no validation images: val={val} of each class rounds to 0 images here, so data.yaml validates on the "
            f"training images; {hint}")


def add_parser(sub):
    """Register `sdgas convert-voc SRC OUT [--names a,b,...] [--val FRACTION] [--seed S]`."""
    p = add_command(sub, "convert-voc", _run, __doc__, "convert Pascal VOC XML + images to a YOLO dataset")
    p.add_argument("src", help="folder searched recursively for images and VOC XML, paired by file stem")
    p.add_argument("out", help="new dataset folder (images/, labels/, data.yaml)")
    p.add_argument("--names", help="comma-separated class order (default: sorted names found); others are skipped")
    p.add_argument("--val", type=float, default=0.2, help="val fraction per class where no folder names a split")
    p.add_argument("--seed", type=int, default=0, help="seed of that split")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")


@command("sdgas convert-voc")
def _run(args):
    names = [n.strip() for n in args.names.split(",") if n.strip()] if args.names else None
    convert_voc(args.src, args.out, names=names, val=args.val, seed=args.seed, overwrite=args.overwrite)
    return 0
