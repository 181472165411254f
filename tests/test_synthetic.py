# sdgas-ultra, AGPL-3.0
"""Specification of the synthetic-defects dataset: content, determinism, atomic writes, CLI and ultralytics loading."""

import hashlib
import inspect
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from sdgas_ultra.cli import main
from sdgas_ultra.data import synthetic
from sdgas_ultra.data.synthetic import CLASSES, MARKER, generate

ROOT = Path(__file__).resolve().parents[1]
N_TRAIN, N_VAL, N_TEST = 36, 12, 12


def files(root):
    """{relative path: bytes} of every file under root."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def labels(root, split):
    """(n, 5) float array of every label row of a split, and the number of rows per image."""
    txts = sorted((Path(root) / "labels" / split).glob("*.txt"))
    rows = [np.loadtxt(t, ndmin=2) for t in txts]
    return np.concatenate(rows), [len(r) for r in rows]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Root of a small dataset shared by the read-only tests."""
    return generate(tmp_path_factory.mktemp("synth") / "ds", N_TRAIN, N_VAL, seed=3, n_test=N_TEST).parent


def test_layout_is_yolo_with_single_channel_pngs(dataset):
    for split, n in (("train", N_TRAIN), ("val", N_VAL), ("test", N_TEST)):
        pngs = sorted((dataset / "images" / split).glob("*.png"))
        assert len(pngs) == n == len(list((dataset / "labels" / split).glob("*.txt")))
        img = cv2.imread(str(pngs[0]), cv2.IMREAD_UNCHANGED)
        assert img.shape == (200, 200) and img.dtype == np.uint8
    d = yaml.safe_load((dataset / "data.yaml").read_text())
    assert d["path"] == str(dataset) and d["channels"] == 1
    assert (d["train"], d["val"], d["test"]) == ("images/train", "images/val", "images/test")
    assert d["names"] == dict(enumerate(CLASSES))


def test_labels_are_valid_boxes(dataset):
    for split in ("train", "val", "test"):
        rows, per_image = labels(dataset, split)
        assert all(1 <= k <= 4 for k in per_image)
        cls, xywh = rows[:, 0], rows[:, 1:]
        assert np.array_equal(cls, cls.round()) and cls.min() >= 0 and cls.max() <= 5
        assert (xywh > 0).all() and (xywh <= 1).all()
        assert (xywh[:, 2:] >= synthetic.MIN_BOX / 200 - 1e-6).all()  # non-degenerate
        assert (xywh[:, :2] - xywh[:, 2:] / 2 >= -1e-6).all() and (xywh[:, :2] + xywh[:, 2:] / 2 <= 1 + 1e-6).all()


def test_all_six_classes_present_in_each_split(dataset):
    for split in ("train", "val"):
        rows, _ = labels(dataset, split)
        assert set(rows[:, 0].astype(int)) == set(range(6))


def test_same_parameters_give_byte_identical_files(tmp_path):
    a = files(generate(tmp_path / "a", 8, 4, seed=5, n_test=2).parent)
    b = files(generate(tmp_path / "b", 8, 4, seed=5, n_test=2).parent)
    assert a.pop("data.yaml").replace(str(tmp_path / "a").encode(), b"X") == b.pop("data.yaml").replace(
        str(tmp_path / "b").encode(), b"X"
    )
    assert a == b


def test_sizes_do_not_change_other_images(tmp_path):
    small = files(generate(tmp_path / "small", 4, 2, seed=5, n_test=3).parent)
    large = files(generate(tmp_path / "large", 9, 3, seed=5, n_test=5).parent)
    shared = [k for k in small if k.startswith(("images/", "labels/"))]
    assert len(shared) == 18 and all(small[k] == large[k] for k in shared)


def test_test_split_is_drawn_apart_from_train_and_val():
    test = [synthetic.sample(0, "test", i)[0] for i in range(6)]
    others = [synthetic.sample(0, split, i)[0] for split in ("train", "val") for i in range(6)]
    assert not any(np.array_equal(t, o) for t in test for o in others)


def test_without_test_images_the_dataset_has_no_test_split(tmp_path):
    root = generate(tmp_path / "out", 2, 1, n_test=0).parent
    assert not (root / "images" / "test").exists() and "test" not in yaml.safe_load((root / "data.yaml").read_text())
    assert "test" not in synthetic.read_marker(root)["params"]  # a dataset made before the test split still matches


def test_seed_changes_images():
    assert not np.array_equal(synthetic.sample(0, "train", 0)[0], synthetic.sample(1, "train", 0)[0])


def test_imgsz_sets_image_size():
    img, lab = synthetic.sample(0, "val", 2, imgsz=320)
    assert img.shape == (320, 320) and ((lab[:, 1:] > 0) & (lab[:, 1:] <= 1)).all()


def test_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    calls, real = [], synthetic.sample

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(synthetic, "sample", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate(tmp_path / "out", 4, 4, n_test=1)
    assert list(tmp_path.iterdir()) == []  # neither OUT nor the temporary sibling


def test_refuses_foreign_non_empty_dir(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not an empty directory or a synthetic-defects dataset"):
        generate(tmp_path / "out", 2, 2, n_test=1)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine.txt"]


def test_existing_empty_dir_is_filled(tmp_path):
    (tmp_path / "out").mkdir()
    generate(tmp_path / "out", 2, 2, n_test=1)
    assert (tmp_path / "out" / MARKER).is_file()


def test_same_dataset_again_returns_without_work(tmp_path, monkeypatch):
    yaml_path = generate(tmp_path / "out", 3, 2, n_test=1)
    monkeypatch.setattr(synthetic, "sample", lambda *a, **k: pytest.fail("regenerated an up-to-date dataset"))
    assert generate(tmp_path / "out", 3, 2, n_test=1) == yaml_path


def test_other_parameters_need_overwrite(tmp_path):
    generate(tmp_path / "out", 3, 2, n_test=1)
    with pytest.raises(FileExistsError, match="other parameters"):
        generate(tmp_path / "out", 4, 2, n_test=1)
    generate(tmp_path / "out", 4, 2, n_test=1, overwrite=True)
    assert len(list((tmp_path / "out" / "images" / "train").glob("*.png"))) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # old copy and temporary removed


def test_a_concurrent_generator_that_installs_the_same_dataset_first_is_accepted(tmp_path, monkeypatch):
    write_split, raced = synthetic._write_split, []

    def racing(root, split, params):
        if not raced:  # another process (a DDP rank) starts later and finishes first
            raced.append(None)
            raced[0] = generate(tmp_path / "out", 3, 2, n_test=1)
        return write_split(root, split, params)

    monkeypatch.setattr(synthetic, "_write_split", racing)
    assert generate(tmp_path / "out", 3, 2, n_test=1) == raced[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the loser's copy removed


def test_invalid_sizes_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="n_val"):
        generate(tmp_path / "out", 2, 0, n_test=1)
    assert not (tmp_path / "out").exists()


def test_cli_writes_dataset_and_prints_summary(tmp_path, capsys):
    argv = ["synth", str(tmp_path / "out"), "--train", "6", "--val", "6", "--test", "3", "--seed", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "6 train + 6 val + 3 test images" in out and str(tmp_path / "out") in out
    assert all(name in out for name in CLASSES)
    assert main(argv) == 0
    assert "already there" in capsys.readouterr().out


def test_cli_reports_foreign_dir(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("")
    assert main(["synth", str(tmp_path), "--train", "2", "--val", "2", "--test", "0"]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err


def test_dataset_loads_with_ultralytics(dataset):
    from ultralytics.data.utils import check_det_dataset

    data = check_det_dataset(str(dataset / "data.yaml"))
    assert data["nc"] == 6 and data["channels"] == 1
    assert list(data["names"].values()) == list(CLASSES)


def test_defaults_agree_in_yaml_module_and_signature():
    cfg = yaml.safe_load((ROOT / "cfg" / "datasets" / "synthetic-defects.yaml").read_text())
    sig = inspect.signature(generate).parameters
    signature = {"train": sig["n_train"].default, "val": sig["n_val"].default}
    signature.update(test=sig["n_test"].default, seed=sig["seed"].default, imgsz=sig["imgsz"].default,
                     easy=sig["easy"].default)
    assert cfg["synthetic"] == synthetic.DEFAULTS == signature


def test_cfg_yaml_download_hook_generates_dataset(tmp_path):
    from ultralytics.data.utils import check_det_dataset

    cfg = yaml.safe_load((ROOT / "cfg" / "datasets" / "synthetic-defects.yaml").read_text())
    cfg.update(path=str(tmp_path / "ds"), synthetic={"train": 6, "val": 3, "test": 2})
    (tmp_path / "synthetic-defects.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    data = check_det_dataset(str(tmp_path / "synthetic-defects.yaml"))  # val missing -> runs `download:`
    assert data["nc"] == 6 and data["channels"] == 1
    assert len(list((tmp_path / "ds" / "images" / "val").glob("*.png"))) == 3


@pytest.mark.parametrize("imgsz", [64, 80, 100])
def test_small_image_sizes_generate(imgsz):
    for i in range(60):
        img, labels = synthetic.sample(1, "train", i, imgsz)
        assert img.shape == (imgsz, imgsz) and len(labels) >= 1


def test_easy_variant_is_recorded_in_marker(tmp_path):
    std = synthetic.read_marker(generate(tmp_path / "std", 2, 1, n_test=1).parent)["params"]
    easy = synthetic.read_marker(generate(tmp_path / "easy", 2, 1, n_test=1, easy=True).parent)["params"]
    assert "easy" not in std and easy == {**std, "easy": True}  # markers of older datasets still match
    with pytest.raises(FileExistsError, match="other parameters"):
        generate(tmp_path / "std", 2, 1, n_test=1, easy=True)
    # the easy image of a seed is another image than the standard one
    assert not np.array_equal(synthetic.sample(0, "train", 0)[0], synthetic.sample(0, "train", 0, easy=True)[0])
    assert main(["synth", str(tmp_path / "cli"), "--train", "2", "--val", "1", "--test", "1", "--easy"]) == 0
    assert synthetic.read_marker(tmp_path / "cli")["params"] == easy


# sha256 (first 16 hex digits) of image bytes + label bytes of sample(seed, split, i, imgsz, easy), computed with the
# generator as of 0.3.1 (before synthetic.py was split into a writer and surfaces): steel images never change
FROZEN = {
    (0, "train", 0, 200, False): "38922332803acd8e",
    (0, "train", 5, 200, False): "3d5f37c200b9afa9",
    (3, "val", 7, 200, False): "9d125c57154b9db9",
    (1, "test", 2, 200, False): "bed17a3fa8c77c10",
    (0, "train", 1, 320, False): "f9c4b38726963dd7",
    (2, "val", 4, 64, False): "7a596f1b0b03f53c",
    (0, "train", 3, 200, True): "20cdfabfa0793eed",
    (7, "test", 11, 100, True): "b4359a5dc9c5b4f8",
}


@pytest.mark.parametrize("args", list(FROZEN))
def test_steel_samples_match_their_frozen_hashes(args):
    img, lab = synthetic.sample(*args)
    assert hashlib.sha256(img.tobytes() + lab.tobytes()).hexdigest()[:16] == FROZEN[args]


def test_steel_dataset_files_match_their_frozen_hash(tmp_path):
    root = generate(tmp_path / "ds", 4, 2, seed=5, n_test=2).parent
    h = hashlib.sha256()
    for k, v in files(root).items():
        if k.startswith(("images/", "labels/")):
            h.update(k.encode())
            h.update(v)
    assert h.hexdigest()[:16] == "3deed37624ab6b7c"
