# sdgas-ultra, AGPL-3.0
"""Specification of the synthetic surfaces (steel, pcb, textile): layout, boxes, classes, determinism, defects inside
their boxes, their own random streams, bare-name YAMLs, CLI, ultralytics loading and tiling a large pcb board."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from sdgas_ultra.cli import main
from sdgas_ultra.data import synthetic
from sdgas_ultra.data.surfaces import SURFACES, surface
from sdgas_ultra.data.synthetic import generate, read_marker, sample

ROOT = Path(__file__).resolve().parents[1]
NEW = ("pcb", "textile")
SMALL = {"steel": 100, "pcb": 128, "textile": 128}  # small images keep the tests fast
YAMLS = {"steel": "synthetic-defects.yaml", "pcb": "synthetic-pcb.yaml", "textile": "synthetic-textile.yaml"}


def files(root):
    """{relative path: bytes} of every image and label file under root."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*"))
            if p.is_file() and p.parts[-3] in ("images", "labels")}


@pytest.fixture(scope="module", params=NEW)
def dataset(request, tmp_path_factory):
    """(kind, root) of a small dataset of each new surface, shared by the read-only tests."""
    kind = request.param
    root = generate(tmp_path_factory.mktemp(kind) / "ds", 8, 4, seed=3, imgsz=SMALL[kind], n_test=3, kind=kind).parent
    return kind, root


def test_layout_is_yolo_with_the_surfaces_channels(dataset):
    kind, root = dataset
    surf = surface(kind)
    for split, n in (("train", 8), ("val", 4), ("test", 3)):
        pngs = sorted((root / "images" / split).glob("*.png"))
        assert len(pngs) == n == len(list((root / "labels" / split).glob("*.txt")))
        img = cv2.imread(str(pngs[0]), cv2.IMREAD_UNCHANGED)
        assert img.dtype == np.uint8 and img.shape == (SMALL[kind], SMALL[kind], 3)[: 2 if surf.CHANNELS == 1 else 3]
    d = yaml.safe_load((root / "data.yaml").read_text())
    assert d["path"] == str(root) and d["channels"] == surf.CHANNELS and d["names"] == dict(enumerate(surf.CLASSES))
    assert (d["train"], d["val"], d["test"]) == ("images/train", "images/val", "images/test")
    assert read_marker(root)["params"]["kind"] == kind


def test_labels_are_valid_boxes_inside_the_image(dataset):
    kind, root = dataset
    n, nc = SMALL[kind], len(surface(kind).CLASSES)
    for txt in (root / "labels").rglob("*.txt"):
        rows = np.loadtxt(txt, ndmin=2)
        assert len(rows) >= 1
        cls, xywh = rows[:, 0], rows[:, 1:]
        assert np.array_equal(cls, cls.round()) and cls.min() >= 0 and cls.max() < nc
        assert (xywh[:, 2:] >= surface(kind).MIN_BOX / n - 1e-6).all()
        assert (xywh[:, :2] - xywh[:, 2:] / 2 >= -1e-6).all() and (xywh[:, :2] + xywh[:, 2:] / 2 <= 1 + 1e-6).all()


@pytest.mark.parametrize("kind", NEW)
def test_every_class_is_present_in_a_modest_split(kind):
    nc = len(surface(kind).CLASSES)
    classes = {int(c) for i in range(2 * nc) for c in sample(0, "train", i, SMALL[kind], kind=kind)[1][:, 0]}
    assert classes == set(range(nc))


@pytest.mark.parametrize("kind", NEW)
def test_same_parameters_give_byte_identical_files(kind, tmp_path):
    a = files(generate(tmp_path / "a", 3, 2, seed=5, imgsz=96, n_test=1, kind=kind).parent)
    b = files(generate(tmp_path / "b", 3, 2, seed=5, imgsz=96, n_test=1, kind=kind).parent)
    assert len(a) == 12 and a == b


@pytest.mark.parametrize("kind", NEW)
def test_seed_split_and_index_change_the_image(kind):
    ref = sample(0, "train", 0, 96, kind=kind)[0]
    for other in (sample(1, "train", 0, 96, kind=kind), sample(0, "test", 0, 96, kind=kind),
                  sample(0, "train", len(surface(kind).CLASSES), 96, kind=kind)):
        assert not np.array_equal(ref, other[0])


@pytest.mark.parametrize("kind", NEW)
def test_easy_variant_is_another_image_with_defects(kind):
    easy, labels = sample(0, "train", 1, 96, easy=True, kind=kind)
    assert len(labels) >= 1 and not np.array_equal(easy, sample(0, "train", 1, 96, kind=kind)[0])


def test_each_kind_draws_from_its_own_random_stream():
    firsts = {kind: tuple(np.random.default_rng([0, 0, 0, *s.STREAM]).random(4)) for kind, s in SURFACES.items()}
    assert len(set(firsts.values())) == len(SURFACES)
    assert SURFACES["steel"].STREAM == ()  # steel keeps the seeds it had before the other kinds existed


@pytest.mark.parametrize("kind", SURFACES)
def test_a_defect_changes_pixels_inside_its_box_and_nowhere_far_from_it(kind):
    surf, n, strongest = surface(kind), SMALL[kind], []
    for i in range(2 * len(surf.CLASSES)):
        img, boxes = surf.render(np.random.default_rng([2, i, *surf.STREAM]), i % len(surf.CLASSES), n)
        clean, same = surf.render(np.random.default_rng([2, i, *surf.STREAM]), i % len(surf.CLASSES), n, defects=False)
        assert np.array_equal(boxes, same)
        diff = np.abs(img.astype(int) - clean.astype(int))
        diff = diff.max(2) if diff.ndim == 3 else diff
        near = np.zeros(diff.shape, bool)
        for x0, y0, x1, y1 in boxes[:, 1:].astype(int):
            strongest.append(diff[y0:y1, x0:x1].max())
            near[max(y0 - 24, 0) : y1 + 24, max(x0 - 24, 0) : x1 + 24] = True  # blur, then a JPEG block of 16 px
        assert not diff[~near].any()
    assert min(strongest) >= 3 and np.median(strongest) >= 15  # grey levels: subtle defects are subtle, not absent


@pytest.mark.parametrize("kind", NEW)
def test_cfg_yaml_matches_the_surface_and_its_hook_generates_the_dataset(kind, tmp_path):
    from ultralytics.data.utils import check_det_dataset

    from sdgas_ultra.base.paths import plugin_file

    surf = surface(kind)
    shipped = plugin_file(YAMLS[kind])  # found by bare name
    assert shipped is not None and shipped.read_bytes() == (ROOT / "cfg" / "datasets" / YAMLS[kind]).read_bytes()
    cfg = yaml.safe_load(shipped.read_text())
    assert cfg["path"] == surf.NAME and cfg["synthetic"] == synthetic.defaults(kind)
    assert cfg["names"] == dict(enumerate(surf.CLASSES)) and cfg["channels"] == surf.CHANNELS
    cfg.update(path=str(tmp_path / "ds"), synthetic={"train": 3, "val": 2, "test": 1, "imgsz": 96})
    (tmp_path / YAMLS[kind]).write_text(yaml.safe_dump(cfg, sort_keys=False))
    data = check_det_dataset(str(tmp_path / YAMLS[kind]))  # val missing -> runs `download:`
    assert data["nc"] == len(surf.CLASSES) and data["channels"] == surf.CHANNELS
    assert len(list((tmp_path / "ds" / "images" / "val").glob("*.png"))) == 2
    assert read_marker(tmp_path / "ds")["params"] == {"version": surf.VERSION, "seed": 0, "train": 3, "val": 2,
                                                     "imgsz": 96, "test": 1, "kind": kind}


def test_dataset_loads_with_ultralytics(dataset):
    from ultralytics.data.utils import check_det_dataset

    kind, root = dataset
    data = check_det_dataset(str(root / "data.yaml"))
    assert data["nc"] == len(surface(kind).CLASSES) and data["channels"] == surface(kind).CHANNELS


def test_cli_kind_writes_that_surface_at_its_default_size(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "t"), "--kind", "textile", "--train", "2", "--val", "1", "--test", "1"]) == 0
    assert "synthetic-textile" in capsys.readouterr().out
    params = read_marker(tmp_path / "t")["params"]
    assert params["kind"] == "textile" and params["imgsz"] == surface("textile").IMGSZ
    with pytest.raises(FileExistsError, match="other parameters"):  # another kind is other parameters
        generate(tmp_path / "t", 2, 1, imgsz=256, n_test=1, kind="pcb")


def test_unknown_kind_is_rejected(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown synthetic surface kind 'wood'; expected one of steel, pcb, textile"):
        generate(tmp_path / "out", 2, 1, kind="wood")
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as e:
        main(["synth", str(tmp_path / "out"), "--kind", "wood"])
    last = capsys.readouterr().err.splitlines()[-1]  # argparse's wording is CPython's: only what it names is ours
    assert e.value.code == 2 and "--kind" in last and "'wood'" in last and all(k in last for k in SURFACES)


def test_a_larger_pcb_board_keeps_feature_sizes_and_tiles(tmp_path):
    from sdgas_ultra.data import tiling

    small = np.concatenate([sample(0, "train", i, 256, kind="pcb")[1] for i in range(6)])
    root = generate(tmp_path / "board", 2, 1, imgsz=512, n_test=0, kind="pcb").parent
    rows = [np.loadtxt(t, ndmin=2) for t in sorted((root / "labels").rglob("*.txt"))]
    large = np.concatenate(rows)
    assert np.median(large[:, 3:] * 512) <= 2 * np.median(small[:, 3:] * 256)  # same pixel sizes, not 2x
    n = tiling.tile_dataset(root / "data.yaml", tmp_path / "tiles", size=256, overlap=0.25, verbose=False)
    assert n["images"] == 3 and n["tiles"] == 3 * 9 and n["boxes"] == len(large) <= n["tile_boxes"]
    xyxy = np.concatenate([large[:, 1:3] - large[:, 3:] / 2, large[:, 1:3] + large[:, 3:] / 2], 1) * 512
    windows = np.array(tiling.tile_windows(512, 512, 256, 0.25))
    inside = (windows[None, :, :2] <= xyxy[:, None, :2] + 1e-3) & (xyxy[:, None, 2:] <= windows[None, :, 2:] + 1e-3)
    assert inside.all(2).any(1).all()  # every defect lies whole in some tile: all are smaller than the overlap band
    tile = cv2.imread(str(next((tmp_path / "tiles" / "images" / "train").glob("*.png"))), cv2.IMREAD_UNCHANGED)
    assert tile.shape == (256, 256, 3)
