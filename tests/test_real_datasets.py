# sdgas-ultra, AGPL-3.0
"""neu.yaml, pcb.yaml, tilda.yaml: class order, shipped splits, offline messages, and conversion through the YAML's
`download:` step as ultralytics' check_det_dataset runs it (on generated stand-ins for the real archives)."""

import os
import shutil
import zipfile
from collections import Counter

import cv2
import numpy as np
import pytest
import yaml

from sdgas_ultra.data import real
from sdgas_ultra.data.voc import stratified_split
from voc_writer import write_voc

NAMES = {
    "neu": ["crazing", "inclusion", "patches", "pitted_surface", "rolled-in_scale", "scratches"],
    "pcb": ["missing_hole", "mouse_bite", "open_circuit", "short", "spur", "spurious_copper"],
    "tilda": ["hole", "objects", "oil_spot", "thread_error"],
}
ROOTS = {"neu": "NEU-DET", "pcb": "PCB", "tilda": "TILDA"}


def data_yaml(key, tmp_path):
    """A copy of the shipped YAML whose dataset root lies in tmp_path."""
    data = yaml.safe_load(real.packaged_yaml(key).read_text())
    data["path"] = str(tmp_path / ROOTS[key])
    file = tmp_path / f"{key}.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    return file


def check(file):
    from ultralytics.data.utils import check_det_dataset

    return check_det_dataset(str(file))


def pair(img_file, xml_file, objects, size=32):
    img_file.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(img_file), np.full((size, size), 100, np.uint8))
    write_voc(xml_file, size, size, objects)


@pytest.mark.parametrize("key", sorted(NAMES))
def test_each_yaml_lists_its_classes_in_the_documented_order(key):
    data = yaml.safe_load(real.packaged_yaml(key).read_text())
    assert [data["names"][i] for i in range(len(data["names"]))] == NAMES[key] == list(real.DATASETS[key].names)
    assert data["path"] == ROOTS[key] and data["train"] == "images/train" and data["val"] == "images/val"
    assert f'prepare("{key}", yaml)' in data["download"]


def test_dataset_yamls_resolve_by_bare_name():
    from sdgas_ultra.data.stats import resolve_yaml

    assert resolve_yaml("neu.yaml") == real.packaged_yaml("neu")


def test_neu_split_list_is_the_seeded_stratified_split_it_documents():
    val = real.read_split("neu_val.txt")
    stems = {f"{c}_{i}": c for c in NAMES["neu"] for i in range(1, 301)}  # NEU-DET's file names, 300 per class
    assert val == stratified_split(stems, 0.2, 0)
    assert Counter(s.rsplit("_", 1)[0] for s in val) == {c: 60 for c in NAMES["neu"]}
    assert all(1 <= int(s.rsplit("_", 1)[1]) <= 300 for s in val)


@pytest.mark.parametrize("key", sorted(NAMES))
def test_offline_without_a_source_stops_naming_archive_and_folder(key, tmp_path):
    with pytest.raises(real.DatasetUnavailable) as e:
        check(data_yaml(key, tmp_path))
    msg, spec = str(e.value), real.DATASETS[key]
    assert spec.archive in msg and str(tmp_path / f"{ROOTS[key]}-source") in msg
    assert f"python -m sdgas_ultra.data.real {key}" in msg
    if spec.url:
        assert spec.url in msg and "YOLO_OFFLINE=1" in msg
    else:
        assert "no public download" in msg
    assert not (tmp_path / ROOTS[key]).exists()


def test_a_failed_download_stops_with_the_same_advice(tmp_path, monkeypatch):
    def refuse(url, file):
        file.write_bytes(b"partial")
        raise ConnectionError("no route to host")

    monkeypatch.setenv("YOLO_OFFLINE", "0")
    monkeypatch.setattr(real, "_download", refuse)
    with pytest.raises(real.DatasetUnavailable, match="download failed .no route to host") as e:
        check(data_yaml("pcb", tmp_path))
    assert "PCB_DATASET.zip" in str(e.value) and not any((tmp_path / "PCB-source").iterdir())
    assert e.value.__cause__ is None and e.value.__suppress_context__  # the cause is in the message, shown once


def neu_stems():
    """Two stems per class: one listed in neu_val.txt, one not."""
    val = real.read_split("neu_val.txt")
    return {c: [next(f"{c}_{i}" for i in range(1, 301) if f"{c}_{i}" in val),
                next(f"{c}_{i}" for i in range(1, 301) if f"{c}_{i}" not in val)] for c in NAMES["neu"]}


def test_online_the_archive_is_downloaded_then_converted(tmp_path, monkeypatch):
    staged = tmp_path / "staged" / "NEU-DET"
    for c, stems in neu_stems().items():
        for s in stems:
            pair(staged / "IMAGES" / f"{s}.jpg", staged / "ANNOTATIONS" / f"{s}.xml", [(c, 2, 3, 20, 25)])
    archive = shutil.make_archive(str(tmp_path / "NEU-DET"), "zip", tmp_path / "staged")
    urls = []

    def fetch(url, file):
        urls.append(url)
        shutil.copy(archive, file)

    monkeypatch.setenv("YOLO_OFFLINE", "0")
    monkeypatch.setattr(real, "_download", fetch)
    data = check(data_yaml("neu", tmp_path))
    assert urls == [real.DATASETS["neu"].download_url]
    assert len(os.listdir(data["val"])) == 6 and len(os.listdir(data["train"])) == 6


def test_neu_uses_the_shipped_split_not_the_source_folders(tmp_path):
    source = tmp_path / "NEU-DET-source"
    stems = neu_stems()
    for c, (in_val, in_train) in stems.items():  # Kaggle layout, with the opposite folder split
        for s, folder in ((in_val, "train"), (in_train, "validation")):
            pair(source / "NEU-DET" / folder / "images" / c / f"{s}.jpg",
                 source / "NEU-DET" / folder / "annotations" / f"{s}.xml", [(c, 2, 3, 20, 25)])
    data = check(data_yaml("neu", tmp_path))
    val = sorted(f.rsplit(".", 1)[0] for f in os.listdir(data["val"]))
    assert val == sorted(s[0] for s in stems.values())
    assert data["names"] == dict(enumerate(NAMES["neu"]))
    label = (tmp_path / "NEU-DET" / "labels" / "val" / f"{stems['patches'][0]}.txt").read_text().split()
    assert label[0] == "2" and np.allclose([float(v) for v in label[1:]], [11 / 32, 14 / 32, 18 / 32, 22 / 32])


def test_pcb_archive_is_extracted_and_converted_without_its_rotated_copies(tmp_path):
    staged = tmp_path / "staged" / "PCB_DATASET"
    for c in NAMES["pcb"]:
        folder = c.capitalize()  # images/Missing_hole/01_missing_hole_01.jpg, XML names as written there
        for i in range(1, 6):
            stem = f"{i:02d}_{c}_{i:02d}"
            pair(staged / "images" / folder / f"{stem}.jpg", staged / "Annotations" / folder / f"{stem}.xml",
                 [(folder, 4, 4, 9, 9), (c, 12, 12, 18, 20)])
            rotated = staged / "rotation" / f"{folder}_rotation"  # same stems, no XML of their own
            rotated.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(rotated / f"{stem}.jpg"), np.zeros((8, 8), np.uint8))
    (staged / "PCB_USED").mkdir()
    cv2.imwrite(str(staged / "PCB_USED" / "01.JPG"), np.zeros((8, 8), np.uint8))
    (tmp_path / "PCB-source").mkdir()
    shutil.make_archive(str(tmp_path / "PCB-source" / "PCB_DATASET"), "zip", tmp_path / "staged")
    data = check(data_yaml("pcb", tmp_path))
    assert len(os.listdir(data["train"])) == 24 and len(os.listdir(data["val"])) == 6  # 20% of each class
    classes = Counter(r.split()[0] for f in (tmp_path / "PCB" / "labels").rglob("*.txt") for r in f.read_text()
                      .splitlines())
    assert classes == {str(i): 10 for i in range(6)}
    assert "skipped" not in (tmp_path / "PCB" / "convert_report.txt").read_text()


def test_tilda_class_names_with_spaces_and_capitals_are_matched(tmp_path, monkeypatch):
    source = tmp_path / "own-tilda"
    for i, name in enumerate(["hole", "Objects", "oil spot", "Thread-Error"] * 2):
        pair(source / f"img{i}.png", source / f"img{i}.xml", [(name, 1, 1, 10, 10)])
    import ultralytics.utils

    monkeypatch.setattr(ultralytics.utils, "DATASETS_DIR", tmp_path)
    assert real.main(["tilda", "--source", str(source)]) == 0
    rows = [f.read_text().split()[0] for f in (tmp_path / "TILDA" / "labels").rglob("*.txt")]
    assert Counter(rows) == {"0": 2, "1": 2, "2": 2, "3": 2}
    assert real.main(["tilda", "--source", str(source)]) == 1  # exists: not rebuilt without --overwrite


def neu_archive(tmp_path, folder):
    """NEU-DET.zip with one image + XML per class, written into `folder`."""
    staged = tmp_path / "staged" / "NEU-DET"
    for c, stems in neu_stems().items():
        for s in stems:
            pair(staged / "IMAGES" / f"{s}.jpg", staged / "ANNOTATIONS" / f"{s}.xml", [(c, 2, 3, 20, 25)])
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.make_archive(str(folder / "NEU-DET"), "zip", tmp_path / "staged")


def test_an_interrupted_extraction_leaves_no_source_that_looks_valid(tmp_path, monkeypatch):
    neu_archive(tmp_path, tmp_path / "NEU-DET-source")
    extract = zipfile.ZipFile.extractall

    def half(self, path=None, members=None, pwd=None):
        names = self.namelist()
        extract(self, path, [n for n in names if n.endswith(".xml")][:3])  # a few annotations, then the disk fills
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "extractall", half)
    with pytest.raises(real.DatasetUnavailable, match="cannot extract .*disk full"):
        check(data_yaml("neu", tmp_path))
    assert os.listdir(tmp_path / "NEU-DET-source") == ["NEU-DET.zip"] and not (tmp_path / "NEU-DET").exists()
    monkeypatch.setattr(zipfile.ZipFile, "extractall", extract)
    data = check(data_yaml("neu", tmp_path))  # the next run extracts again, completely
    assert len(os.listdir(data["val"])) == 6 and len(os.listdir(data["train"])) == 6


def test_an_incomplete_dataset_root_is_unavailable_not_overwritten(tmp_path):
    neu_archive(tmp_path, tmp_path / "NEU-DET-source")
    (tmp_path / "NEU-DET" / "images" / "train").mkdir(parents=True)  # e.g. a copy of train only
    with pytest.raises(real.DatasetUnavailable, match="exists but has no") as e:
        check(data_yaml("neu", tmp_path))
    assert str(tmp_path / "NEU-DET") in str(e.value) and "--overwrite" in str(e.value)
    assert os.listdir(tmp_path / "NEU-DET") == ["images"]


def test_a_source_without_usable_pairs_is_unavailable(tmp_path):
    source = tmp_path / "NEU-DET-source"
    write_voc(source / "crazing_1.xml", 32, 32, [("crazing", 2, 3, 20, 25)])
    (source / "crazing_1.jpg").write_bytes(b"not an image")
    with pytest.raises(real.DatasetUnavailable, match="no usable image") as e:
        check(data_yaml("neu", tmp_path))
    assert "NEU-DET.zip" in str(e.value) and "crazing_1.jpg" in str(e.value)
    assert not (tmp_path / "NEU-DET").exists()


def test_the_command_prints_the_message_once_on_stderr(tmp_path, monkeypatch, capsys):
    import ultralytics.utils

    monkeypatch.setattr(ultralytics.utils, "DATASETS_DIR", tmp_path)
    assert real.main(["neu"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("python -m sdgas_ultra.data.real: error: NEU-DET is not prepared")
    assert err.count("NEU-DET.zip") == 1 and "Traceback" not in err
