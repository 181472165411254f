# sdgas-ultra, AGPL-3.0
"""The real datasets of SD-GASNet (NEU-DET, PKU-Market-PCB, TILDA): fetch, then convert VOC -> YOLO with fixed splits.

cfg/datasets/{neu,pcb,tilda}.yaml call `prepare(key, yaml)` from their `download:` step, which ultralytics'
check_det_dataset runs when the dataset's val images are missing. `prepare` looks for the source in
`<datasets_dir>/<root>-source/` (an archive, or the extracted folder); if there is none it downloads the public
archive there, unless offline (YOLO_OFFLINE=1) or no public archive exists. Every way this can fail for want of
usable data raises one exception, `DatasetUnavailable`, whose message names the archive, its URL and the folder to
put it in. Archives are extracted, and the dataset converted (`voc.convert_voc`), atomically: an interrupted run
leaves nothing that a later run would take for a complete source or dataset.

Splits never depend on folders in the source, so results compare across runs and machines: NEU-DET uses the list
shipped in splits/neu_val.txt; PCB and TILDA are split at conversion by `voc.stratified_split` (val=0.2, seed=0,
stratified by each image's main class), which depends only on the set of image stems.

Run `python -m sdgas_ultra.data.real neu [--source PATH]` to prepare a dataset by hand.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ..base.paths import CFG_DIR
from .atomic import atomic_dir, atomic_file
from .errors import command
from .surfaces.steel import CLASSES as NEU_CLASSES
from .voc import convert_voc, source_files

SPLITS_DIR = Path(__file__).resolve().parent / "splits"
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
NEU_NAMES = NEU_CLASSES  # one list: the steel stand-in draws NEU-DET's classes in NEU-DET's order


class DatasetUnavailable(FileNotFoundError):
    """A real dataset is not prepared and cannot be prepared from what is on disk or online; the message says what
    to download, from where, and where to put it."""


def _lower(name):
    return name.strip().lower()


def _snake(name):
    """'Oil spot' / 'thread-error' / 'Missing_hole' -> 'oil_spot' / 'thread_error' / 'missing_hole'."""
    return "_".join(name.strip().lower().replace("-", " ").split())


@dataclass(frozen=True)
class RealDataset:
    """Where a real dataset comes from and how its VOC source is converted."""

    title: str
    names: tuple
    archive: str  # file name expected in the source folder
    url: str | None  # page or link a person opens; None: no public archive known
    download_url: str | None  # direct link fetched by code; None: no automatic download
    about: str  # origin and citation hint, shown in messages
    rename: object = _lower  # XML class name -> canonical name
    exclude: tuple = ()  # folder names in the archive that are not the annotated set
    split_file: str | None = None  # shipped val list (one stem per line) or None: seeded split at conversion


DATASETS = {
    "neu": RealDataset(
        title="NEU-DET",
        names=NEU_NAMES,
        archive="NEU-DET.zip",
        url="https://drive.google.com/file/d/1qrdZlaDi272eA79b0uCwwqPrm2Q_WI3k/view",
        download_url="https://drive.usercontent.google.com/download?id=1qrdZlaDi272eA79b0uCwwqPrm2Q_WI3k"
        "&export=download&confirm=t",
        about="Northeastern University (China) surface defect database, K. Song and Y. Yan; official page "
        "https://faculty.neu.edu.cn/songkc/en/zdylm/263270/list/index.htm (also a Kaggle copy with train/ and "
        "validation/ folders: kaustubhdikshit/neu-surface-defect-database)",
        split_file="neu_val.txt",
    ),
    "pcb": RealDataset(
        title="PKU-Market-PCB",
        names=("missing_hole", "mouse_bite", "open_circuit", "short", "spur", "spurious_copper"),
        archive="PCB_DATASET.zip",
        url="https://www.dropbox.com/s/32kolsaa45z2mpj/PCB_DATASET.zip?dl=0",
        download_url="https://www.dropbox.com/s/32kolsaa45z2mpj/PCB_DATASET.zip?dl=1",
        about="Open Lab on Human Robot Interaction, Peking University (http://robotics.pkusz.edu.cn/resources/"
        "dataset/); Huang and Wei, arXiv:1901.08204",
        rename=_snake,
        exclude=("rotation", "PCB_USED"),  # rotated copies reuse the stems of images/; PCB_USED holds clean templates
    ),
    "tilda": RealDataset(
        title="TILDA (detection variant)",
        names=("hole", "objects", "oil_spot", "thread_error"),
        archive="TILDA-det.zip",
        url=None,
        download_url=None,
        about="TILDA Textile Texture Database (768x512 textile images, originally patch classification); the "
        "bounding-box annotations with classes hole, objects, oil spot and thread error are not published: bring "
        "your own images + Pascal VOC XML (class names may use spaces, e.g. 'oil spot')",
        rename=_snake,
    ),
}


def read_split(file_name):
    """Stems listed in a shipped split file (comments and blank lines ignored)."""
    lines = (SPLITS_DIR / file_name).read_text().splitlines()
    return {s.strip() for s in lines if s.strip() and not s.startswith("#")}


def is_offline():
    """True when YOLO_OFFLINE asks ultralytics (and us) not to touch the network."""
    return os.environ.get("YOLO_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def source_dir(root):
    """Folder that holds the downloaded or hand-placed archive of a dataset rooted at `root`."""
    root = Path(root)
    return root.with_name(f"{root.name}-source")


def unavailable_message(key, source, reason):
    """What to download, from where, where to put it, and how to re-run the conversion."""
    spec = DATASETS[key]
    what = f"Download: {spec.archive} from {spec.url}" if spec.url else f"Archive:  yours, e.g. {spec.archive}"
    return (
        f"{spec.title} is not prepared: {reason}.\n"
        f"  {what}\n"
        f"  About:    {spec.about}\n"
        f"  Put the archive (or its extracted folder) in: {source}\n"
        f"  Then re-run your command (e.g. `yolo val data={key}.yaml ...`), or convert now with:\n"
        f"    python -m sdgas_ultra.data.real {key}"
    )


def _download(url, file):
    """Fetch `url` to `file` with ultralytics' downloader (progress bar, retries, atomic publish)."""
    from ultralytics.utils.downloads import safe_download

    safe_download(url, file=file, unzip=False, retry=2)


def _archives(folder):
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.name.lower().endswith(ARCHIVE_SUFFIXES))


def _has_annotations(folder):
    """True if the converter would find VOC XML under folder (hidden leftovers of interrupted runs do not count)."""
    return any(p.suffix.lower() == ".xml" for p in source_files(folder))


def _unpack(archive):
    """Extract a zip or tar archive into a new folder beside it named after it, refusing members that would land
    outside; the folder appears only once extraction is complete."""
    import tarfile
    import zipfile

    suffix = next(s for s in ARCHIVE_SUFFIXES if archive.name.lower().endswith(s))
    with atomic_dir(archive.with_name(archive.name[: -len(suffix)])) as dest:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:  # extractall drops absolute paths and '..' from member names
                z.extractall(dest)
            return
        with tarfile.open(archive) as t:
            if hasattr(tarfile, "data_filter"):
                t.extractall(dest, filter="data")
            else:  # Python without extraction filters: check member paths ourselves
                for m in t.getmembers():
                    if not (dest / m.name).resolve().is_relative_to(dest) or m.issym() or m.islnk():
                        raise ValueError(f"unsafe member {m.name} in {archive}")
                t.extractall(dest)


def fetch(key, source):
    """Make sure `source` holds VOC annotations: extract archives found there, or download the public one."""
    spec, source = DATASETS[key], Path(source)
    source.mkdir(parents=True, exist_ok=True)
    # each failure is raised `from None`: its message already holds the cause, so it shows once
    if not _has_annotations(source) and not _archives(source):
        if not spec.download_url:
            raise DatasetUnavailable(unavailable_message(key, source, "its source is missing and no public download "
                                                         "of it is known"))
        if is_offline():
            raise DatasetUnavailable(unavailable_message(key, source, "its source is missing and, offline "
                                                         "(YOLO_OFFLINE=1), it is not downloaded"))
        try:
            _download(spec.download_url, source / spec.archive)
        except Exception as e:
            (source / spec.archive).unlink(missing_ok=True)
            raise DatasetUnavailable(unavailable_message(key, source, f"download failed ({e})")) from None
    if not _has_annotations(source):
        for archive in _archives(source):
            try:
                _unpack(archive)
            except Exception as e:
                reason = f"cannot extract {archive} ({e})"
                raise DatasetUnavailable(unavailable_message(key, source, reason)) from None
    if not _has_annotations(source):
        others = [p.name for p in source.iterdir() if p.is_file() and p not in _archives(source)]
        hint = f"; cannot open {', '.join(others)}: extract it there" if others else ""
        raise DatasetUnavailable(unavailable_message(key, source, f"no VOC .xml annotations found in it{hint}"))


def packaged_yaml(key):
    """Path of the dataset YAML shipped with the plugin (cfg/datasets/<key>.yaml)."""
    return CFG_DIR / "datasets" / f"{key}.yaml"


def dataset_root(data):
    """Dataset root of a data dict as ultralytics resolves it: absolute, or relative to its datasets_dir."""
    root = Path(data["path"])
    if not root.is_absolute():
        from ultralytics.utils import DATASETS_DIR

        root = (DATASETS_DIR / root).resolve()
    return root


def prepare(key, yaml=None, source=None, overwrite=False, verbose=True):
    """Fetch and convert real dataset `key` ('neu', 'pcb', 'tilda') into the YOLO layout its YAML expects.

    Args:
        yaml (dict | None): the data dict that check_det_dataset passes to `download:` (its `path` is the root);
            None reads the packaged YAML.
        source (str | Path | None): archive file or folder to convert from; default `<root>-source/`.
        overwrite (bool): replace an existing, non-empty dataset root.

    Returns:
        (Path): the dataset root.
    """
    import yaml as pyyaml

    if key not in DATASETS:
        raise KeyError(f"unknown dataset '{key}', expected one of {sorted(DATASETS)}")
    spec = DATASETS[key]
    data = yaml if yaml is not None else pyyaml.safe_load(packaged_yaml(key).read_text())
    root = dataset_root(data)
    folder = source_dir(root)
    if source is not None and Path(source).is_file():  # an archive given by hand: copy it into the source folder
        with atomic_file(folder / Path(source).name) as tmp:
            shutil.copy2(source, tmp)
    elif source is not None:
        folder = Path(source)
        if not folder.is_dir():
            raise FileNotFoundError(f"source {folder} is neither an archive nor a folder")
    if root.is_dir() and any(root.iterdir()) and not overwrite:
        val = root / data.get("val", "images/val")  # an absolute val (as check_det_dataset passes it) stays as is
        if val.is_dir() and any(val.iterdir()):
            raise FileExistsError(f"{spec.title} is already prepared in {root}; pass --overwrite to rebuild it")
        raise DatasetUnavailable(f"{spec.title} is not prepared: {root} exists but has no {val}; remove it and re-run,"
                                 f" or rebuild it with: python -m sdgas_ultra.data.real {key} --overwrite")
    fetch(key, folder)
    val_stems = read_split(spec.split_file) if spec.split_file else None
    try:
        report = convert_voc(folder, root, names=spec.names, val=0.2, seed=0, val_stems=val_stems,
                             folder_splits=False, rename=spec.rename, exclude=spec.exclude, overwrite=overwrite,
                             verbose=verbose)
    except ValueError as e:  # nothing usable in the source
        raise DatasetUnavailable(unavailable_message(key, folder, str(e))) from None
    if val_stems is not None and verbose:
        converted = {p.stem for p in (root / "images" / "val").glob("*")}
        if missing := sorted(val_stems - converted):
            print(f"note: {len(missing)} stems of {spec.split_file} were not converted, e.g. {missing[:5]}")
    if verbose and report.problems:
        print(f"{spec.title}: {len(report.problems)} inputs skipped, see {root / 'convert_report.txt'}")
    return root


PROG = "python -m sdgas_ultra.data.real"


@command(PROG)
def _run(args):
    root = prepare(args.key, source=args.source, overwrite=args.overwrite)
    print(f"ready: data={args.key}.yaml -> {root}")
    return 0


def main(argv=None):
    """`python -m sdgas_ultra.data.real KEY [--source PATH] [--overwrite]`; returns the exit status."""
    p = argparse.ArgumentParser(prog=PROG, description="Prepare a real dataset.")
    p.add_argument("key", choices=sorted(DATASETS))
    p.add_argument("--source", help="archive or folder to convert from (default: <datasets_dir>/<root>-source/)")
    p.add_argument("--overwrite", action="store_true", help="rebuild an existing dataset root")
    return _run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
