# sdgas-ultra, AGPL-3.0
"""`sdgas stats`: counts, size buckets and aspect ratios of a small generated YOLO dataset with known boxes."""

import argparse

import cv2
import numpy as np
import pytest

from sdgas_ultra.data import stats

# split, stem, (w, h), [(class, box w px, box h px)]
IMAGES = [
    ("train", "a", (640, 640), [(0, 20, 20), (1, 100, 50)]),  # coco small / medium; relative small / medium
    ("train", "b", (100, 100), [(0, 40, 40)]),  # coco medium, relative large
    ("val", "c", (200, 100), [(1, 150, 90)]),  # coco large, relative large
    ("val", "d", (50, 50), []),
]


@pytest.fixture
def dataset(tmp_path):
    for split, stem, (w, h), boxes in IMAGES:
        (tmp_path / "images" / split).mkdir(parents=True, exist_ok=True)
        (tmp_path / "labels" / split).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / "images" / split / f"{stem}.png"), np.zeros((h, w), np.uint8))
        rows = [f"{c} 0.5 0.5 {bw / w} {bh / h}\n" for c, bw, bh in boxes]
        (tmp_path / "labels" / split / f"{stem}.txt").write_text("".join(rows))
    (tmp_path / "data.yaml").write_text("train: images/train\nval: images/val\nnames:\n  0: pit\n  1: scratch\n")
    return tmp_path / "data.yaml"


def test_counts_instances_and_images_per_class_and_split(dataset):
    st = stats.dataset_stats(dataset)
    assert dict(st.images) == {"train": 2, "val": 2}
    assert st.instances["train"] == {0: 2, 1: 1} and st.instances["val"] == {1: 1}
    assert dict(st.class_images) == {0: 2, 1: 2}
    assert sorted(st.boxes_per_image) == [0, 1, 1, 2]


def test_size_buckets_follow_coco_areas_and_image_relative_areas(dataset):
    st = stats.dataset_stats(dataset)
    assert st.coco[0] == {"small": 1, "medium": 1} and st.coco[1] == {"medium": 1, "large": 1}
    assert st.relative[0] == {"small": 1, "large": 1} and st.relative[1] == {"medium": 1, "large": 1}


def test_aspect_ratios_are_width_over_height_in_pixels(dataset):
    st = stats.dataset_stats(dataset)
    assert np.allclose(sorted(st.aspects[0]), [1, 1]) and np.allclose(sorted(st.aspects[1]), [150 / 90, 2])


def test_table_has_a_row_per_class_and_the_totals(dataset):
    table = stats.format_table(stats.dataset_stats(dataset))
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines() if line.split()}
    # images, instances, train_inst, val_inst, coco s/m/l, rel s/m/l, aspect
    assert rows["pit"] == ["2", "2", "2", "0", "1", "1", "0", "1", "0", "1", "1.00"]
    assert rows["scratch"] == ["2", "2", "1", "1", "0", "1", "1", "0", "1", "1", "1.83"]
    assert rows["all"][:2] == ["3", "4"]
    assert "boxes per image: mean 1.00, median 1, max 2; 0: 1, 1: 2, 2: 1" in table
    assert "1:1-2:1 3, 2:1-4:1 1" in table


def test_polygon_labels_count_as_their_bounding_boxes(tmp_path):
    (tmp_path / "x.txt").write_text("2 0.1 0.2 0.5 0.2 0.3 0.6\n")
    assert np.allclose(stats.read_labels(tmp_path / "x.txt"), [[2, 0.3, 0.4, 0.4, 0.4]])


def test_a_bad_label_row_names_the_file_and_line(tmp_path):
    (tmp_path / "x.txt").write_text("0 0.5 0.5 0.1 0.1\n0 0.5 0.5\n")
    with pytest.raises(ValueError, match=r"x\.txt:2"):
        stats.read_labels(tmp_path / "x.txt")


def test_cli_writes_the_table_and_a_png_beside_it(dataset, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    stats.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["stats", str(dataset), "--out", str(tmp_path / "report")])
    assert args.func(args) == 0
    assert "scratch" in (tmp_path / "report" / "stats.txt").read_text()
    assert (tmp_path / "report" / "stats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "pit" in capsys.readouterr().out


def test_a_missing_yaml_is_one_line_on_stderr_and_exit_status_1(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    stats.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["stats", str(tmp_path / "nope.yaml")])
    assert args.func(args) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("sdgas stats: error: ") and "nope.yaml" in err and len(err.splitlines()) == 1


def test_an_unreadable_image_is_named(dataset, tmp_path, capsys):
    (dataset.parent / "images" / "val" / "c.png").write_bytes(b"not a png")
    parser = argparse.ArgumentParser()
    stats.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["stats", str(dataset), "--out", str(tmp_path / "report")])
    assert args.func(args) == 1
    assert "c.png" in capsys.readouterr().err and not (tmp_path / "report").exists()


@pytest.mark.parametrize("text", ["train: [a\nnames: {0: x", "- a\n- b\n"])
def test_a_malformed_yaml_is_named(tmp_path, text):
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ValueError, match=r"bad\.yaml: "):
        stats.load_dataset(tmp_path / "bad.yaml")
