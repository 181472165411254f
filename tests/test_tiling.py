# sdgas-ultra, AGPL-3.0
"""`sdgas tile` and `sdgas predict-tiled`: tile grids, the tiling round trip, merging detections across tiles."""

import argparse
import os

import cv2
import numpy as np
import pytest

from sdgas_ultra import tiled
from sdgas_ultra.data import tiling
from sdgas_ultra.data.stats import list_sources, read_labels

SIZE, OVERLAP = 256, 0.25  # overlap band: 64 px


@pytest.mark.parametrize("length", [100, 256, 257, 700, 1000, 2777])
def test_tiles_span_the_side_and_overlap_at_least_as_asked(length):
    starts = tiling.tile_starts(length, SIZE, OVERLAP)
    assert starts[0] == 0 and min(starts[-1] + SIZE, length) == length
    assert all(a + SIZE - b >= SIZE * OVERLAP - 1 for a, b in zip(starts, starts[1:]))  # -1: rounding


def test_clipping_keeps_whole_boxes_and_drops_small_remnants():
    boxes = [[10, 10, 20, 20], [90, 10, 130, 20], [95, 50, 120, 60], [99, 70, 140, 71]]
    kept, idx = tiling.clip_to_window(boxes, (0, 0, 100, 100), min_visible=0.25, min_px=2)
    # whole; 25% visible (10 of 40 px) kept; 5 of 25 px = 20% dropped; 1 px wide remnant dropped
    assert idx.tolist() == [0, 1]
    assert np.allclose(kept, [[10, 10, 20, 20], [90, 10, 100, 20]])


def make_dataset(root, rng, w=1000, h=700, n=30):
    """One image with random boxes of 4-60 px (within the overlap band) and one large box; returns the boxes."""
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    xy = rng.uniform([0, 0], [w - 60, h - 60], (n, 2))
    wh = rng.uniform(4, 60, (n, 2))
    boxes = np.concatenate([np.concatenate([xy, xy + wh], 1), [[100, 150, 420, 380]]])
    cls = np.append(rng.integers(0, 3, n), 1)
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
    cv2.imwrite(str(root / "images" / "train" / "big.png"), img)
    rows = [f"{c} {(x0 + x1) / 2 / w:.8f} {(y0 + y1) / 2 / h:.8f} {(x1 - x0) / w:.8f} {(y1 - y0) / h:.8f}\n"
            for c, (x0, y0, x1, y1) in zip(cls, boxes)]
    (root / "labels" / "train" / "big.txt").write_text("".join(rows))
    cv2.imwrite(str(root / "images" / "val" / "small.png"), img[:100, :100])  # smaller than one tile
    (root / "labels" / "val" / "small.txt").write_text("")
    (root / "data.yaml").write_text("train: images/train\nval: images/val\nnames: [a, b, c]\n")
    return img, boxes, cls


def read_tiles(out):
    """{(x0, y0): (tile image, (N, 5) [cls, x0, y0, x1, y1] in image pixels)} for the tiles of big.png."""
    tiles = {}
    for f in (out / "images" / "train").iterdir():
        x0, y0 = map(int, f.stem.split("__")[1].split("_"))
        tile = cv2.imread(str(f))
        th, tw = tile.shape[:2]
        lab = read_labels(out / "labels" / "train" / f"{f.stem}.txt")
        xyxy = np.stack([(lab[:, 1] - lab[:, 3] / 2) * tw + x0, (lab[:, 2] - lab[:, 4] / 2) * th + y0,
                         (lab[:, 1] + lab[:, 3] / 2) * tw + x0, (lab[:, 2] + lab[:, 4] / 2) * th + y0], 1)
        tiles[(x0, y0)] = (tile, np.concatenate([lab[:, :1], xyxy], 1))
    return tiles


def rows(a):
    """Rows sorted by their values rounded to 0.01 px, to compare box sets."""
    return a[np.lexsort(np.round(a, 2).T[::-1])]


def test_tiling_round_trip_keeps_every_box_within_the_clipping_rules(tmp_path):
    img, boxes, cls = make_dataset(tmp_path / "src", np.random.default_rng(0))
    out = tmp_path / "tiles"
    n = tiling.tile_dataset(tmp_path / "src" / "data.yaml", out, SIZE, OVERLAP, min_visible=0.25, min_px=2,
                            verbose=False)
    tiles = read_tiles(out)
    windows = tiling.tile_windows(1000, 700, SIZE, OVERLAP)
    assert sorted(tiles) == sorted((x0, y0) for x0, y0, _, _ in windows) and n["tiles"] == len(windows) + 1
    for x0, y0, x1, y1 in windows:
        tile, got = tiles[(x0, y0)]
        assert np.array_equal(tile, img[y0:y1, x0:x1])
        clipped = np.concatenate([boxes[:, :2].clip([x0, y0], [x1, y1]), boxes[:, 2:].clip([x0, y0], [x1, y1])], 1)
        cw, ch = clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1]
        visible = cw * ch / ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
        rule = (visible > 0.999) | ((visible >= 0.25) & (cw >= 2) & (ch >= 2))
        want = np.concatenate([cls[rule, None], clipped[rule]], 1)
        assert np.allclose(rows(got), rows(want), atol=0.01), (x0, y0)
    for b in boxes[:-1]:  # every box within the overlap band lies whole in some tile
        assert any((np.abs(t[:, 1:] - b).max(1) < 0.01).any() for _, t in tiles.values() if len(t)), b
    assert n["never_whole"] == 1  # only the 320 x 230 px box exceeds the band
    assert (out / "labels" / "val" / "small__0_0.txt").read_text() == ""


def test_keep_empty_zero_writes_only_tiles_with_boxes(tmp_path):
    make_dataset(tmp_path / "src", np.random.default_rng(1), n=3)
    n = tiling.tile_dataset(tmp_path / "src" / "data.yaml", tmp_path / "t", SIZE, OVERLAP, keep_empty=0,
                            verbose=False)
    assert n["empty_dropped"] > 0
    assert all(f.read_text() for f in (tmp_path / "t" / "labels").rglob("*.txt"))


def paint(objects, w=900, h=600):
    """Black image with each object a filled rectangle whose grey level encodes its class (60, 120, 180)."""
    img = np.zeros((h, w, 3), np.uint8)
    for c, x0, y0, x1, y1 in objects:
        img[y0:y1, x0:x1] = 60 * (c + 1)
    return img


def fake_detector(crops):
    """Finds the painted rectangles in each crop: exact boxes, class from grey level, score 0.9."""
    out = []
    for crop in crops:
        boxes, scores, classes = [], [], []
        for c in range(3):
            n, _, st, _ = cv2.connectedComponentsWithStats((crop[..., 0] == 60 * (c + 1)).astype(np.uint8))
            for x, y, bw, bh, _ in st[1:]:
                boxes.append([x, y, x + bw, y + bh])
                scores.append(0.9)
                classes.append(c)
        out.append((np.array(boxes, float).reshape(-1, 4), np.array(scores), np.array(classes)))
    return out


def test_tiled_prediction_recovers_boxes_placed_across_tile_borders():
    xs, ys = tiling.tile_starts(900, SIZE, OVERLAP), tiling.tile_starts(600, SIZE, OVERLAP)
    # straddle vertical borders, horizontal borders, a corner where four tiles meet, and sit inside one tile
    corner = (xs[1] + SIZE, ys[1] + SIZE)  # tiles (xs[1], ys[1]), (xs[2], ys[1]), ... meet around here
    objects = [
        (0, xs[1] - 20, 40, xs[1] + 30, 80),
        (1, xs[2] - 5, 100, xs[2] + 50, 130),
        (2, 30, ys[1] - 25, 70, ys[1] + 25),
        (0, corner[0] - 30, corner[1] - 30, corner[0] + 20, corner[1] + 20),
        (1, 600, 500, 640, 560),
        (2, 860, 10, 899, 60),
    ]
    boxes, scores, classes = tiled.predict_image_tiled(paint(objects), fake_detector, SIZE, OVERLAP)
    got = sorted(zip(classes.tolist(), *np.round(boxes).astype(int).T.tolist()))
    assert got == sorted(objects)
    assert np.allclose(scores, 0.9)


def test_cut_detections_are_dropped_when_a_whole_one_of_their_class_covers_them():
    boxes = [[0, 0, 50, 50], [0, 0, 30, 50], [20, 0, 50, 50], [0, 0, 30, 50]]
    keep = tiled.merge_detections(boxes, [0.5, 0.9, 0.9, 0.8], [0, 0, 0, 1], [False, True, True, True])
    assert sorted(keep.tolist()) == [0, 3]  # the class-1 piece is no part of the class-0 object


def test_predict_tiled_runs_an_untrained_yolo_through_the_cli(tmp_path, capsys):
    img = np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "board.jpg"), img)
    parser = argparse.ArgumentParser()
    tiled.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["predict-tiled", "yolov8n.yaml", str(tmp_path / "board.jpg"), "--size", "160",
                              "--overlap", "0.2", "--conf", "0.001", "--project", str(tmp_path / "runs"),
                              "--save-img"])
    assert args.func(args) == 0
    assert f"board.jpg: 300x200, {len(tiling.tile_windows(300, 200, 160, 0.2))} tiles" in capsys.readouterr().out
    run = tmp_path / "runs" / "predict-tiled"
    assert (run / "board.jpg").is_file()
    txt = run / "labels" / "board.txt"
    rows = np.loadtxt(txt, ndmin=2) if txt.exists() else np.zeros((0, 6))  # cls cx cy w h conf
    assert rows.shape[1] == 6 and ((rows[:, 1:5] >= 0) & (rows[:, 1:5] <= 1)).all()


def test_tile_cli_reports_a_missing_yaml_on_stderr_and_writes_nothing(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    tiling.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["tile", str(tmp_path / "nope.yaml"), str(tmp_path / "tiles")])
    assert args.func(args) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("sdgas tile: error: ") and "nope.yaml" in err
    assert os.listdir(tmp_path) == []


def test_tiling_into_a_non_empty_folder_is_refused_unless_overwrite(tmp_path):
    make_dataset(tmp_path / "src", np.random.default_rng(2), n=2)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "mine.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="not empty"):
        tiling.tile_dataset(tmp_path / "src" / "data.yaml", tmp_path / "t", SIZE, OVERLAP, verbose=False)
    assert os.listdir(tmp_path / "t") == ["mine.txt"]
    tiling.tile_dataset(tmp_path / "src" / "data.yaml", tmp_path / "t", SIZE, OVERLAP, overwrite=True, verbose=False)
    assert sorted(os.listdir(tmp_path / "t")) == ["data.yaml", "images", "labels"]
    assert sorted(os.listdir(tmp_path)) == ["src", "t"]


def test_predict_tiled_cli_reports_a_source_without_images_on_stderr(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    tiled.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["predict-tiled", "yolov8n.yaml", str(tmp_path / "*.jpg")])  # an absolute glob
    assert args.func(args) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"sdgas predict-tiled: error: no images found at '{tmp_path / '*.jpg'}'\n"


def test_sources_are_a_file_a_folder_or_an_absolute_glob(tmp_path):
    for name in ("b.png", "a.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert list_sources(tmp_path) == [tmp_path / "a.jpg", tmp_path / "b.png"]
    assert list_sources(tmp_path / "*.png") == [tmp_path / "b.png"]
    assert list_sources(tmp_path / "a.jpg") == [tmp_path / "a.jpg"]


def test_tiling_keeps_the_data_yaml_keys_it_does_not_rewrite(tmp_path):
    import yaml

    make_dataset(tmp_path / "src", np.random.default_rng(2), n=2)
    data = tmp_path / "src" / "data.yaml"
    data.write_text(data.read_text() + "channels: 1\nkpt_note: kept as is\ndownload: https://example.com/x.zip\n")
    tiling.tile_dataset(data, tmp_path / "t", SIZE, OVERLAP, verbose=False)
    cfg = yaml.safe_load((tmp_path / "t" / "data.yaml").read_text())
    assert cfg["channels"] == 1 and cfg["kpt_note"] == "kept as is" and "download" not in cfg
    assert cfg["train"] == "images/train" and cfg["names"] == {0: "a", 1: "b", 2: "c"}
