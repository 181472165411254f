# sdgas-ultra, AGPL-3.0
"""Ultralytics' own handling of bad training input, as SD-GASNet users meet it (compatibility tier).

These pin upstream's documented behaviour and its message texts, so they run in .ci/compat.sh against each supported
ultralytics release: an image or label file that fails verification is skipped with "<file>: ignoring corrupt
image/label: <reason>"; an empty label file is a background image; an imgsz that is not a multiple of the largest
stride is rounded up with a warning; a dataset YAML with missing paths fails naming them. A failed `train()` leaves
the run folder it created (args.yaml, an empty weights/) but no checkpoint and no results.csv.
"""

import logging
import re
import shutil
from pathlib import Path

import pytest
import yaml
from ultralytics import YOLO

import sdgas_ultra
from sdgas_ultra import SDGASModel

sdgas_ultra.activate()
pytestmark = pytest.mark.upstream  # upstream's behaviour and texts, per release (.ci/compat.sh)

TRAIN = dict(epochs=1, imgsz=64, batch=4, workers=0, device="cpu", plots=False, val=False, exist_ok=True)

# name -> (image: None = a valid image, else these bytes; label text: None = a valid label)
BAD_TRAIN_FILES = {
    "garbage_image": (b"this is not an image" * 20, None),
    "zero_byte_image": (b"", None),
    "truncated_png": ("half", None),
    "empty_label": (None, ""),
    "three_columns": (None, "0 0.5 0.5\n"),
    "not_numbers": (None, "zero half half tenth tenth\n"),
    "class_out_of_range": (None, "9 0.5 0.5 0.2 0.2\n"),
    "coords_out_of_range": (None, "0 1.7 0.5 0.2 0.2\n"),
    "negative_coords": (None, "0 -0.3 0.5 0.2 0.2\n"),
}


def copy_dataset(data, root):
    """A writable copy of the dataset of data.yaml at root (no label caches); returns its data.yaml."""
    shutil.copytree(Path(data).parent, root, ignore=shutil.ignore_patterns("*.cache", ".synthetic.json"))
    d = yaml.safe_load(Path(data).read_text())
    d["path"] = str(root)
    (root / "data.yaml").write_text(yaml.safe_dump(d))
    return root / "data.yaml"


def add_train_file(root, name, image=None, label=None):
    """Add images/train/<name>.png and its label: copies of the first good pair unless given."""
    good = sorted((root / "images" / "train").glob("*.png"))[0]
    good_label = root / "labels" / "train" / f"{good.stem}.txt"
    path = root / "images" / "train" / f"{name}.png"
    if image is None:
        shutil.copy(good, path)
    elif image == "half":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    else:
        path.write_bytes(image)
    (root / "labels" / "train" / f"{name}.txt").write_text(good_label.read_text() if label is None else label)
    return path


class Messages(logging.Handler):
    """Collects ultralytics' log messages (its logger does not propagate, so caplog cannot see them)."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def __enter__(self):
        logging.getLogger("ultralytics").addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger("ultralytics").removeHandler(self)

    def text(self):
        return "\n".join(self.lines)


@pytest.fixture(scope="module")
def bad_run(tiny_data, tmp_path_factory):
    """One epoch on the tiny dataset plus every file of BAD_TRAIN_FILES, asked at imgsz=50 (not a stride multiple).

    Returns (model, ultralytics' log text, dataset root).
    """
    root = tmp_path_factory.mktemp("bad") / "data"
    data = copy_dataset(tiny_data, root)
    for name, (image, label) in BAD_TRAIN_FILES.items():
        add_train_file(root, name, image, label)
    model = SDGASModel("sdgasnet-n.yaml")
    with Messages() as log:
        model.train(data=str(data), project=str(root.parent / "runs"), name="bad", **{**TRAIN, "imgsz": 50})
    return model, log.text(), root


def skipped_because(bad_run, name):
    """The reason ultralytics gave for skipping train image <name>.png (asserts it was skipped)."""
    _, log, root = bad_run
    head = f"{root / 'images' / 'train' / name}.png: ignoring corrupt image/label: "
    lines = [line for line in log.splitlines() if head in line]
    assert lines, f"no skip warning for {name}"
    return lines[0].split(head, 1)[1]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["garbage_image", "zero_byte_image", "truncated_png"])
def test_corrupt_image_is_skipped_with_a_warning_naming_it(bad_run, name):
    # the reason for unidentifiable bytes is upstream's: offline it reads "No module named 'pi_heif'" (it tries the
    # HEIF plugin), online "cannot identify image file"; the file name and "corrupt" are what we rely on
    skipped_because(bad_run, name)
    model, _, _ = bad_run
    assert name not in {Path(f).stem for f in model.trainer.train_loader.dataset.im_files}  # and it is left out


@pytest.mark.slow
def test_truncated_png_reason_says_truncated(bad_run):
    assert "Truncated" in skipped_because(bad_run, "truncated_png")


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, reason",
    [
        ("three_columns", "labels require 5 columns, 3 columns detected"),
        ("not_numbers", "could not convert string to float: 'zero'"),
    ],
)
def test_malformed_label_file_is_skipped_with_the_reason(bad_run, name, reason):
    assert reason in skipped_because(bad_run, name)


@pytest.mark.slow
def test_out_of_range_class_id_is_skipped_with_the_reason(bad_run):
    reason = skipped_because(bad_run, "class_out_of_range")
    assert "Label class 9 exceeds dataset class count 6. Possible class labels are 0-5" in reason


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, reason",
    [("coords_out_of_range", "non-normalized or out of bounds coordinates [1.7]"), ("negative_coords", "negative")],
)
def test_out_of_range_coordinates_are_skipped_with_the_reason(bad_run, name, reason):
    assert reason in skipped_because(bad_run, name)


@pytest.mark.slow
def test_empty_label_file_is_a_background_image(bad_run):
    model, log, root = bad_run
    assert "empty_label.png: ignoring" not in log
    dataset = model.trainer.train_loader.dataset
    labels = {Path(lb["im_file"]).stem: lb for lb in dataset.labels}
    assert labels["empty_label"]["cls"].shape[0] == 0


@pytest.mark.slow
def test_training_goes_on_with_the_valid_images(bad_run):
    model, _, _ = bad_run
    assert len(model.trainer.train_loader.dataset) == 8 + 1  # the good images and the background one
    assert (Path(model.trainer.save_dir) / "results.csv").read_text().count("\n") == 2


@pytest.mark.slow
def test_imgsz_not_a_multiple_of_the_stride_is_rounded_up_with_a_warning(bad_run):
    model, log, root = bad_run
    assert "imgsz=[50] must be multiple of max stride 32, updating to [64]" in log
    assert model.trainer.args.imgsz == 64
    trained = YOLO(model.trainer.best)
    result = trained.predict(sorted((root / "images" / "val").glob("*.png"))[0], imgsz=50, verbose=False)[0]
    assert result.orig_shape == (128, 128) and result.boxes is not None


@pytest.mark.slow
def test_dataset_of_only_bad_files_fails_clearly_and_leaves_no_checkpoint(tiny_data, tmp_path, no_finished_run):
    data = copy_dataset(tiny_data, tmp_path / "data")
    for label in (tmp_path / "data" / "labels" / "train").glob("*.txt"):
        label.write_text("7 0.5 0.5 0.1 0.1\n")
    with pytest.raises(RuntimeError, match="No valid images found") as e:
        SDGASModel("sdgasnet-n.yaml").train(data=str(data), project=str(tmp_path / "runs"), name="r", **TRAIN)
    assert "Label class 7 exceeds dataset class count 6" in str(e.value)
    no_finished_run(tmp_path / "runs")


def test_fixed_label_is_rescanned_not_served_from_the_stale_cache(tiny_data, tmp_path):
    from ultralytics.data import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    data = copy_dataset(tiny_data, tmp_path / "data")
    label = next((tmp_path / "data" / "labels" / "train").glob("*.txt"))
    good = label.read_text()
    label.write_text("0 0.5 0.5\n")

    def n_valid():
        d = check_det_dataset(str(data))
        return len(YOLODataset(img_path=d["train"], data=d, task="detect", imgsz=64, augment=False))

    assert n_valid() == 7
    label.write_text(good)
    assert n_valid() == 8


@pytest.mark.slow
@pytest.mark.parametrize(
    "edit, error, message",
    [
        ({"val": "images/nope"}, RuntimeError, "images not found, missing path '{root}/images/nope'"),
        ({"path": "{tmp}/gone"}, RuntimeError, "images not found, missing path '{tmp}/gone/images/val'"),
        ({"val": None}, RuntimeError, "'val:' key missing"),
        ({"train": "images/nope"}, FileNotFoundError, "Error loading data from {root}/images/nope"),
    ],
    ids=["val-path-missing", "root-missing", "val-key-missing", "train-path-missing"],
)
def test_dataset_yaml_with_missing_paths_fails_naming_them(tiny_data, tmp_path, edit, error, message, no_finished_run):
    fill = dict(root=Path(tiny_data).parent, tmp=tmp_path)
    d = yaml.safe_load(Path(tiny_data).read_text())
    d.update({k: v.format(**fill) for k, v in edit.items() if v is not None})
    d = {k: v for k, v in d.items() if edit.get(k, "") is not None}  # None: drop the key
    path = tmp_path / "bad-data.yaml"
    path.write_text(yaml.safe_dump(d))
    with pytest.raises(error) as e:
        SDGASModel("sdgasnet-n.yaml").train(data=str(path), project=str(tmp_path / "runs"), name="r", **TRAIN)
    assert message.format(**fill) in str(e.value)
    no_finished_run(tmp_path / "runs")


def test_missing_dataset_yaml_fails_naming_it(tmp_path, no_finished_run):
    with pytest.raises(RuntimeError, match=re.escape(f"'{tmp_path}/none.yaml' does not exist")):
        SDGASModel("sdgasnet-n.yaml").train(data=str(tmp_path / "none.yaml"), project=str(tmp_path), **TRAIN)
    no_finished_run(tmp_path)
