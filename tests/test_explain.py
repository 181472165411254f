# sdgas-ultra, AGPL-3.0
"""`sdgas explain` and SDGASModel.explain: heat-maps of FGPEM and FIGA's allocation gates from forward hooks, one PNG
per image; the high-frequency map finds a scratch; bad input is one line, exit 1, nothing written."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn
from ultralytics import YOLO
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import SETTINGS

from sdgas_ultra import SDGASModel, cli
from sdgas_ultra.base.paths import CFG_DIR
from sdgas_ultra.data.surfaces import steel
from sdgas_ultra.explain.maps import MapRecorder
from sdgas_ultra.nn.fgpem import FGPEM
from user_env import user_env

ABLATION = CFG_DIR / "models" / "ablation"
ENERGY, SPATIAL = "FGPEM high frequencies mean|high|", "FGPEM spatial gate"


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """Untrained checkpoints saved as ultralytics saves them: sdgasnet-n (RGB, and grayscale as the demo trains it on
    synthetic-defects), a ladder step without FGPEM, yolov8n."""
    root = tmp_path_factory.mktemp("explain-weights")
    SDGASModel("sdgasnet-n.yaml").save(root / "sdgasnet-n.pt")
    grey = DetectionModel("sdgasnet-n.yaml", ch=1, nc=6, verbose=False)
    torch.save({"model": grey, "train_args": {"imgsz": 64, "task": "detect"}}, root / "sdgasnet-n-grey.pt")
    YOLO(str(ABLATION / "sdgas-l3-no-fgpem.yaml")).save(root / "no-fgpem.pt")
    YOLO("yolov8n.yaml").save(root / "yolov8n.pt")
    return root


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    """ultralytics' runs_dir pointed at a fresh folder of this test (not created)."""
    monkeypatch.setitem(SETTINGS, "runs_dir", str(tmp_path / "runs"))
    return tmp_path / "runs"


def scratched_image(seed, n=128):
    """(n, n) float steel texture with one scratch painted by the dataset's own drawer, and the scratch's box xyxy."""
    rng = np.random.default_rng(seed)
    img = steel._texture(rng, n, n / 200, 1.0)
    patch = steel.draw_scratches(rng, n / 200)[: n - 8, : n - 8]
    y, x = rng.integers(0, n - patch.shape[0] + 1), rng.integers(0, n - patch.shape[1] + 1)
    img[y : y + patch.shape[0], x : x + patch.shape[1]] += 40 * patch
    img += rng.standard_normal((n, n)) * 3  # sensor noise: high frequencies everywhere
    ys, xs = np.nonzero(np.abs(patch) > 0.2)
    return np.clip(img, 0, 255) / 255, (x + xs.min(), y + ys.min(), x + xs.max() + 1, y + ys.max() + 1)


def fgpem_maps(image, seed):
    """{title: map} of an FGPEM layer alone (random init `seed`) on a 3-channel copy of `image`."""
    torch.manual_seed(seed)
    layer = nn.Sequential(FGPEM(3))
    x = torch.tensor(image, dtype=torch.float32)[None, None].repeat(1, 3, 1, 1)
    with MapRecorder(layer) as rec, torch.no_grad():
        layer(x)
    return {title.split(" (")[0]: m for title, _, m in rec.maps()}


@pytest.mark.parametrize("seed", range(5))
def test_high_frequency_map_peaks_inside_a_painted_scratch(seed):
    image, (x0, y0, x1, y1) = scratched_image(seed)
    energy = fgpem_maps(image, seed=0)[ENERGY]
    assert energy.shape == image.shape
    y, x = np.unravel_index(int(energy.argmax()), energy.shape)
    assert x0 <= x < x1 and y0 <= y < y1, f"peak at {(x, y)}, scratch at {(x0, y0, x1, y1)}"


def test_high_frequency_map_does_not_depend_on_learned_weights_and_the_gate_does():
    image, _ = scratched_image(0)
    a, b = fgpem_maps(image, seed=0), fgpem_maps(image, seed=1)
    assert torch.equal(a[ENERGY], b[ENERGY])  # |x - low-pass(x)|: only the DCT cutoff enters
    assert not torch.equal(a[SPATIAL], b[SPATIAL])


def val_images(tiny_data):
    return Path(tiny_data).parent / "images" / "val"


def test_cli_writes_one_picture_per_image_with_ground_truth_panel(weights, tiny_data, tmp_path, capsys):
    images = val_images(tiny_data)  # grayscale, as the model reads them
    argv = ["explain", str(weights / "sdgasnet-n-grey.pt"), str(images), "--imgsz", "64", "--conf", "0.001"]
    assert cli.main([*argv, "--out", str(tmp_path / "plain")]) == 0
    assert cli.main([*argv, "--out", str(tmp_path / "gt"), "--labels"]) == 0
    out = capsys.readouterr().out
    assert f"4 explanations saved to {tmp_path / 'gt'}" in out and "left out" not in out
    stems = sorted(p.stem for p in images.iterdir())
    for run in ("plain", "gt"):
        assert sorted(p.stem for p in (tmp_path / run).iterdir()) == stems
    plain, gt = (cv2.imread(str(tmp_path / run / f"{stems[0]}.png")) for run in ("plain", "gt"))
    # 6 panels (detections, 2 FGPEM, 3 Allocate) fill 2 rows of 3; the ground-truth panel starts a third row
    assert plain.shape[1] == gt.shape[1] and gt.shape[0] == pytest.approx(1.5 * plain.shape[0], abs=2)


def test_python_api_returns_every_map_at_image_size_and_leaves_no_hook(weights, tmp_path, runs_dir):
    image = tmp_path / "wide.png"
    cv2.imwrite(str(image), (255 * scratched_image(3, n=160)[0][:96]).astype(np.uint8))  # 160x96: letterboxed
    model = SDGASModel(weights / "sdgasnet-n.pt")
    model.predict(str(image), imgsz=64, verbose=False)  # a predictor made before explain() must not hide the maps
    (first,) = model.explain(image, imgsz=64, verbose=False)
    (second,) = model.explain(str(image), imgsz=64, verbose=False)
    assert first.png == runs_dir / "detect" / "explain" / "wide.png" and first.png.is_file()
    assert second.png == runs_dir / "detect" / "explain-2" / "wide.png"  # ultralytics' increment_path, as yolo runs
    titles = list(first.maps)
    assert titles[:2] == [f"{ENERGY} (stride 16)", f"{SPATIAL} (stride 16)"]
    assert [t.split("(")[1] for t in titles[2:]] == ["into P3)", "into P4)", "into P5)"]
    assert all(m.shape == (96, 160) and np.isfinite(m).all() for m in first.maps.values())
    assert all(np.allclose(first.maps[t], second.maps[t]) for t in titles)
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.model.modules())
    assert len(model.predict(str(image), imgsz=64, verbose=False)) == 1


def test_sources_are_a_file_a_folder_or_a_glob(weights, tiny_data, tmp_path):
    images, model = val_images(tiny_data), SDGASModel(weights / "sdgasnet-n.pt")
    names = sorted(p.name for p in images.iterdir())
    for source, expected in ((images / names[1], names[1:2]), (images, names), (images / "*[13].png", names[1::2]),
                             (images / "0000[01].png", names[:2])):  # ultralytics' globs need a '*'; this one too
        done = model.explain(source, out=tmp_path / "o", imgsz=64, verbose=False)
        assert [e.file.name for e in done] == expected, source


def test_each_image_gets_its_own_maps(weights, tiny_data, tmp_path):
    done = SDGASModel(weights / "sdgasnet-n.pt").explain(val_images(tiny_data), out=tmp_path, imgsz=64, verbose=False)
    assert [e.file.name for e in done] == sorted(p.name for p in val_images(tiny_data).iterdir())
    energy = [e.maps[f"{ENERGY} (stride 16)"] for e in done]
    assert all(not np.array_equal(a, b) for a, b in zip(energy, energy[1:]))


def test_ladder_step_without_fgpem_leaves_its_panels_out_and_says_so_once(weights, tiny_data, tmp_path, capsys):
    done = SDGASModel(weights / "no-fgpem.pt").explain(val_images(tiny_data), out=tmp_path / "o", imgsz=64)
    assert len(done) == 4 and all(e.png.is_file() for e in done)
    assert all([t.split(" (")[0] for t in e.maps] == ["FIGA allocate gate"] * 3 for e in done)
    assert capsys.readouterr().out.count("no FGPEM in this model") == 1


def test_a_checkpoint_pickled_by_0_2_is_explained(tmp_path):
    """0.2.0 checkpoints hold the average-pooled model (now ladder step a5) with MFA objects that lack `down`."""
    old = YOLO(str(ABLATION / "sdgas-a5-cs-channel.yaml"))
    mfa = next(m for m in old.model.modules() if type(m).__name__ == "MFA")
    del mfa.__dict__["down"]
    old.save(tmp_path / "v0.2.pt")
    cv2.imwrite(str(tmp_path / "a.png"), (255 * scratched_image(1)[0]).astype(np.uint8))
    (done,) = SDGASModel(tmp_path / "v0.2.pt").explain(tmp_path / "a.png", out=tmp_path / "o", imgsz=64, verbose=False)
    assert len(done.maps) == 5 and all(np.isfinite(m).all() for m in done.maps.values())


def make_error(case, weights, tmp_path):
    """argv for one bad-input case, and the text its message must contain."""
    empty, unlabelled = tmp_path / "empty", tmp_path / "unlabelled"
    empty.mkdir()
    unlabelled.mkdir()
    cv2.imwrite(str(unlabelled / "a.png"), np.zeros((32, 32, 3), np.uint8))
    good = str(weights / "sdgasnet-n.pt")
    (tmp_path / "corrupt.pt").write_text("not a checkpoint")
    return {
        "missing weights": ([str(tmp_path / "best.pt"), str(unlabelled)], "best.pt"),
        "corrupt weights": ([str(tmp_path / "corrupt.pt"), str(unlabelled)], "corrupt.pt: cannot load as a model"),
        "not SD-GASNet": ([str(weights / "yolov8n.pt"), str(unlabelled)], "yolov8n.pt: not an SD-GASNet model"),
        "empty source": ([good, str(empty)], f"no images found at '{empty}'"),
        "no labels": ([good, str(unlabelled), "--labels"], "no labels/ folder"),
    }[case]


@pytest.mark.parametrize("case", ["missing weights", "corrupt weights", "not SD-GASNet", "empty source", "no labels"])
def test_bad_input_is_one_line_exit_1_and_nothing_written(case, weights, tmp_path, runs_dir, capsys):
    argv, text = make_error(case, weights, tmp_path)
    before = sorted(tmp_path.rglob("*"))
    assert cli.main(["explain", *argv]) == 1
    assert cli.main(["explain", *argv, "--out", str(tmp_path / "out")]) == 1
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 2 and lines[0] == lines[1]
    assert lines[0].startswith("sdgas explain: error: ") and text in lines[0]
    assert sorted(tmp_path.rglob("*")) == before and not runs_dir.exists()


def test_console_script_refuses_a_yolov8_checkpoint_without_traceback(weights, tmp_path):
    env = user_env()
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((32, 32, 3), np.uint8))
    done = subprocess.run([str(Path(sys.executable).parent / "sdgas"), "explain", str(weights / "yolov8n.pt"),
                           str(tmp_path / "a.png")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [f"sdgas explain: error: {weights / 'yolov8n.pt'}: not an SD-GASNet model "
                                        "(no FGPEM, no FIGA Allocate): nothing to explain"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]
