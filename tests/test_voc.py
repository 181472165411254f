# sdgas-ultra, AGPL-3.0
"""`sdgas convert-voc`: generated VOC folders in both NEU-DET layouts, broken inputs, splits, atomic output."""

import argparse
import os
from collections import Counter

import cv2
import numpy as np
import pytest

from sdgas_ultra.data import voc
from sdgas_ultra.data.voc import convert_voc
from voc_writer import write_voc

W, H = 40, 30
# stem -> [(class, x0, y0, x1, y1)] in 0-based pixel edges; one box touches the image corner (VOC xmin = 1)
KNOWN = {
    "crazing_1": [("crazing", 0, 0, 10, 8)],
    "crazing_2": [("crazing", 5, 6, 25, 20), ("crazing", 30, 2, 40, 30)],
    "crazing_3": [("crazing", 12, 3, 13, 4)],
    "scratches_1": [("scratches", 2, 2, 38, 5)],
    "scratches_2": [("scratches", 17, 0, 19, 30)],
    "scratches_3": [],
}


def image(file, w=W, h=H):
    file.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(file), np.full((h, w), 128, np.uint8))


def expected_rows(objects, names=("crazing", "scratches")):
    return [[names.index(n), (x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H]
            for n, x0, y0, x1, y1 in objects]


def files(report, kind):
    """Files reported with a given problem or note kind."""
    return [f for k, f, _ in report.problems + report.notes if k == kind]


def labels(out, split, stem):
    rows = [list(map(float, r.split())) for r in (out / "labels" / split / f"{stem}.txt").read_text().splitlines()]
    return [[int(r[0]), *r[1:]] for r in rows]


def neu_flat(root):
    """NEU-DET as distributed: IMAGES/ + ANNOTATIONS/."""
    for stem, objects in KNOWN.items():
        image(root / "IMAGES" / f"{stem}.jpg")
        write_voc(root / "ANNOTATIONS" / f"{stem}.xml", W, H, objects)
    return root


def neu_kaggle(root, val=("crazing_2", "scratches_3")):
    """NEU-DET as on Kaggle: train/ + validation/, images in per-class folders, annotations beside them."""
    for stem, objects in KNOWN.items():
        split = "validation" if stem in val else "train"
        image(root / "NEU-DET" / split / "images" / stem.rsplit("_", 1)[0] / f"{stem}.jpg")
        write_voc(root / "NEU-DET" / split / "annotations" / f"{stem}.xml", W, H, objects)
    return root


@pytest.mark.parametrize("layout", [neu_flat, neu_kaggle])
def test_labels_equal_the_known_boxes_in_both_neu_layouts(tmp_path, layout):
    out = tmp_path / "out"
    report = convert_voc(layout(tmp_path / "src"), out, verbose=False)
    assert not report.problems and not report.notes
    for stem, objects in KNOWN.items():
        split = next(s for s in ("train", "val") if (out / "images" / s / f"{stem}.jpg").is_file())
        assert np.allclose(labels(out, split, stem), expected_rows(objects), atol=1e-6), stem


def test_kaggle_layout_keeps_its_train_and_validation_folders(tmp_path):
    out = tmp_path / "out"
    convert_voc(neu_kaggle(tmp_path / "src"), out, verbose=False)
    assert sorted(p.stem for p in (out / "images" / "val").iterdir()) == ["crazing_2", "scratches_3"]
    assert len(list((out / "images" / "train").iterdir())) == 4
    assert "val: images/val" in (out / "data.yaml").read_text()


def test_default_names_are_the_sorted_set_found(tmp_path):
    report = convert_voc(neu_flat(tmp_path / "src"), tmp_path / "out", verbose=False)
    assert report.names == ["crazing", "scratches"]
    assert "  0: crazing\n  1: scratches" in (tmp_path / "out" / "data.yaml").read_text()


def test_boxes_beyond_the_image_are_clipped_and_noted(tmp_path):
    src = tmp_path / "src"
    image(src / "a.jpg")
    write_voc(src / "a.xml", W, H, [("crazing", -3, 20, 12, 35)])
    out = tmp_path / "out"
    report = convert_voc(src, out, val=0, verbose=False)
    assert np.allclose(labels(out, "train", "a"), [[0, 6 / W, 25 / H, 12 / W, 10 / H]], atol=1e-6)
    assert files(report, voc.CLIPPED) == [str(src / "a.xml")]


def test_broken_inputs_are_skipped_and_reported_by_file(tmp_path):
    src = neu_flat(tmp_path / "src")
    image(src / "IMAGES" / "malformed.jpg")
    (src / "ANNOTATIONS" / "malformed.xml").write_text("<annotation><object><name>crazing</name>")
    image(src / "IMAGES" / "outside.jpg")
    write_voc(src / "ANNOTATIONS" / "outside.xml", W, H, [("crazing", 50, 40, 60, 50), ("crazing", 1, 1, 5, 5)])
    image(src / "IMAGES" / "unknown.jpg")
    write_voc(src / "ANNOTATIONS" / "unknown.xml", W, H, [("rust", 1, 1, 5, 5)])
    image(src / "IMAGES" / "invalid.jpg")
    write_voc(src / "ANNOTATIONS" / "invalid.xml", W, H, [("crazing", 9, 1, 4, 5)])
    image(src / "IMAGES" / "lonely_image.png")
    write_voc(src / "ANNOTATIONS" / "lonely_xml.xml", W, H, [("crazing", 1, 1, 5, 5)])
    image(src / "extra" / "crazing_1.jpg")  # a second image with an existing stem
    (src / "IMAGES" / "unreadable.jpg").write_bytes(b"not an image")
    write_voc(src / "ANNOTATIONS" / "unreadable.xml", W, H, [])

    out = tmp_path / "out"
    report = convert_voc(src, out, names=["crazing", "scratches"], verbose=False)
    a = src / "ANNOTATIONS"
    assert files(report, voc.MALFORMED) == [str(a / "malformed.xml")]
    assert files(report, voc.OUTSIDE) == [str(a / "outside.xml")]
    assert files(report, voc.UNKNOWN) == [str(a / "unknown.xml")]
    assert files(report, voc.INVALID_BOX) == [str(a / "invalid.xml")]
    assert files(report, voc.NO_XML) == [str(src / "IMAGES" / "lonely_image.png")]
    assert files(report, voc.NO_IMAGE) == [str(a / "lonely_xml.xml")]
    assert sorted(files(report, voc.DUPLICATE)) == sorted(
        str(p) for p in (a / "crazing_1.xml", src / "IMAGES" / "crazing_1.jpg", src / "extra" / "crazing_1.jpg"))
    assert files(report, voc.UNREADABLE) == [str(src / "IMAGES" / "unreadable.jpg")]
    assert "cannot identify image file" in next(d for k, _, d in report.problems if k == voc.UNREADABLE)
    counts = Counter(kind for kind, _, _ in report.problems)
    assert counts[voc.DUPLICATE] == 3 and sum(counts.values()) == 10
    written = {p.stem for p in (out / "labels").rglob("*.txt")}
    assert written == set(KNOWN) - {"crazing_1"} | {"outside", "unknown", "invalid"}
    split = next(s for s in ("train", "val") if (out / "labels" / s / "outside.txt").exists())
    assert len(labels(out, split, "outside")) == 1  # the box inside the image survives
    text = (out / "convert_report.txt").read_text()
    assert "malformed.xml" in text and "lonely_image.png" in text and "skipped: unknown class x1" in text


def test_split_is_seeded_stratified_and_reproducible(tmp_path):
    src = tmp_path / "src"
    for c in ("a", "b"):
        for i in range(10):
            image(src / f"{c}{i}.jpg", 8, 8)
            write_voc(src / f"{c}{i}.xml", 8, 8, [(c, 1, 1, 4, 4)])
    val = lambda out: sorted(p.stem for p in (out / "images" / "val").iterdir())  # noqa: E731
    convert_voc(src, tmp_path / "o1", val=0.3, seed=1, verbose=False)
    convert_voc(src, tmp_path / "o2", val=0.3, seed=1, verbose=False)
    convert_voc(src, tmp_path / "o3", val=0.3, seed=2, verbose=False)
    assert val(tmp_path / "o1") == val(tmp_path / "o2") != val(tmp_path / "o3")
    assert [s[0] for s in val(tmp_path / "o1")].count("a") == 3 and len(val(tmp_path / "o1")) == 6


def test_a_failed_conversion_leaves_nothing_in_out(tmp_path, monkeypatch):
    src, out = neu_flat(tmp_path / "src"), tmp_path / "out"
    calls = []

    def fail_on_third(a, b):
        calls.append(a)
        if len(calls) == 3:
            raise OSError("disk full")
        os.link(a, b)

    monkeypatch.setattr(voc, "_place", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        convert_voc(src, out, verbose=False)
    assert not out.exists() and os.listdir(tmp_path) == ["src"]


def test_a_source_without_pairs_fails_and_writes_nothing(tmp_path):
    (tmp_path / "src").mkdir()
    image(tmp_path / "src" / "a.jpg")
    with pytest.raises(ValueError, match="no usable image"):
        convert_voc(tmp_path / "src", tmp_path / "out", verbose=False)
    assert not (tmp_path / "out").exists()


def test_an_existing_output_is_kept_unless_overwrite(tmp_path):
    src, out = neu_flat(tmp_path / "src"), tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    with pytest.raises(FileExistsError):
        convert_voc(src, out, verbose=False)
    assert (out / "mine.txt").exists()
    convert_voc(src, out, overwrite=True, verbose=False)
    assert not (out / "mine.txt").exists() and (out / "data.yaml").exists()


def test_cli_converts_and_prints_the_report(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    voc.add_parser(parser.add_subparsers(dest="command"))
    src = neu_flat(tmp_path / "src")
    image(src / "IMAGES" / "orphan.jpg")
    args = parser.parse_args(["convert-voc", str(src), str(tmp_path / "out"), "--names", "scratches,crazing",
                              "--val", "0.5", "--seed", "3"])
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert "converted 6 images" in text and "image without XML x1" in text and "orphan.jpg" in text
    assert "  0: scratches\n  1: crazing" in (tmp_path / "out" / "data.yaml").read_text()
    assert args.func(args) == 1  # OUT now exists: refused, with one line on stderr
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("sdgas convert-voc: error: ") and "exists" in err and str(tmp_path) in err


def test_the_sdgas_cli_registers_convert_voc():
    from sdgas_ultra.cli import COMMANDS

    assert COMMANDS["convert-voc"] == ("sdgas_ultra.data.voc", "add_parser")


def test_an_empty_validation_split_is_warned_on_stderr_with_how_to_get_one(tmp_path, capsys):
    out = tmp_path / "out"
    report = convert_voc(neu_flat(tmp_path / "src"), out, val=0.1, verbose=False)  # 3 images a class: 0.3 -> 0
    assert not report.images["val"]
    err = capsys.readouterr().err
    assert err == ("WARNING: no validation images: val=0.1 of each class rounds to 0 images here, so data.yaml "
                   "validates on the training images; pass --val 0.17 or more (val=0.17 in Python), or put "
                   "validation images in a val/ folder under SRC\n")
    report = convert_voc(tmp_path / "src", tmp_path / "out2", val=0.17, verbose=False)
    assert report.images["val"] and capsys.readouterr().err == ""
