# sdgas-ultra, AGPL-3.0
"""examples/*.py run end to end at a tiny budget (1 epoch, 64 px, a dozen images), as a user runs them."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from user_env import user_env

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TINY = ["--epochs", "1", "--imgsz", "64"]
pytestmark = pytest.mark.slow


def run(script, *args, cwd):
    """Run examples/<script> (or python -c code) in a fresh interpreter; returns its output, failing on exit != 0."""
    env = user_env()
    cmd = [sys.executable, *(["-c", script] if "\n" in script else [str(EXAMPLES / script)]), *map(str, args)]
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"{script} exited {p.returncode}:\n{out[-4000:]}"
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Output folder and printed text of train_val_predict.py at a tiny budget (its weights feed the other tests)."""
    out = tmp_path_factory.mktemp("examples") / "tvp"
    return out, run("train_val_predict.py", *TINY, "--images", 16, "--out", out, cwd=out.parent)


def test_train_val_predict(trained):
    out, text = trained
    assert (out / "train" / "weights" / "best.pt").is_file()
    assert "validation: mAP50" in text
    assert len(list((out / "predict").glob("*.jpg"))) == 4  # 4 of the 4 val images annotated (saved as JPEG)
    assert f"annotated images: {out / 'predict'}" in text


def test_onnx_export_then_plain_onnxruntime_detect(trained, tmp_path):
    out, _ = trained
    weights = out / "train" / "weights" / "best.pt"
    text = run("onnx_export.py", weights, "--out", tmp_path / "det", cwd=tmp_path)
    assert len(list((tmp_path / "det").glob("*.png"))) == 4, text
    # the detector process imports neither torch, ultralytics nor the plugin
    image = sorted((out / "data" / "images" / "val").glob("*.png"))[0]
    code = f"""
import runpy, sys
sys.argv = ["onnx_detect.py", {str(weights.with_suffix(".onnx"))!r}, {str(image)!r}, "--out", "plain"]
runpy.run_path({str(EXAMPLES / "onnx_detect.py")!r}, run_name="__main__")
loaded = {{"torch", "ultralytics", "sdgas_ultra"}} & set(sys.modules)
assert not loaded, loaded
"""
    assert image.name in run(code, cwd=tmp_path)


def onnx_detect():
    """examples/onnx_detect.py as a module."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import onnx_detect

        return onnx_detect
    finally:
        sys.path.remove(str(EXAMPLES))


def test_onnx_detect_pre_and_post_processing_match_ultralytics():
    """The numpy letterbox equals ultralytics' LetterBox; decoding + NMS equal its non_max_suppression."""
    import torch
    from ultralytics.data.augment import LetterBox
    from ultralytics.utils.nms import non_max_suppression

    od = onnx_detect()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (90, 160, 3), np.uint8)  # wide: padded top and bottom
    x, r, pad = od.preprocess(img, 64, 64)
    ref = LetterBox((64, 64), auto=False)(image=img)[..., ::-1]  # ultralytics letterboxes BGR, then feeds RGB
    np.testing.assert_array_equal(x[0].transpose(1, 2, 0), ref.astype(np.float32) / 255)

    n = 200  # raw output (4 + 6 classes, n anchors): random boxes in the 64 px input, random class scores
    pred = np.concatenate([rng.uniform(0, 64, (2, n)), rng.uniform(10, 40, (2, n)), rng.random((6, n))]).astype("f4")
    boxes, scores, classes = od.postprocess(pred, 1.0, (0, 0), (64, 64), conf=0.8, iou=0.5)
    det = non_max_suppression(torch.from_numpy(pred[None]), conf_thres=0.8, iou_thres=0.5)[0].numpy()
    assert 20 < len(det) < (pred[4:].max(0) > 0.8).sum()  # some kept, some suppressed
    np.testing.assert_allclose(boxes, det[:, :4].clip(0, 64), atol=1e-4)
    np.testing.assert_allclose(scores, det[:, 4], atol=1e-6)
    np.testing.assert_array_equal(classes, det[:, 5])


def test_onnx_letterbox_and_nms_by_hand():
    od = onnx_detect()
    canvas, r, (left, top) = od.letterbox(np.zeros((50, 100), np.uint8), 64, 64)  # scale 0.64: 32 x 64, 16 px bands
    assert (r, left, top) == (0.64, 0, 16)
    assert (canvas[:16] == 114).all() and (canvas[16:48] == 0).all() and (canvas[48:] == 114).all()
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]], float)  # IoU(0, 1) = 90 / 110
    assert od.nms(boxes, np.array([0.5, 0.9, 0.3])).tolist() == [1, 2]
    assert od.nms(boxes, np.array([0.5, 0.9, 0.3]), iou=0.85).tolist() == [1, 0, 2]


def test_self_distill(tmp_path):
    text = run("self_distill.py", *TINY, "--images", 12, "--out", tmp_path, cwd=tmp_path)
    for run_name in ("student-teacher", "student"):
        assert (tmp_path / run_name / "weights" / "best.pt").is_file()
    assert "student: " in text and "mAP50" in text


def test_voc_to_yolo(tmp_path):
    run("voc_to_yolo.py", *TINY, "--out", tmp_path, cwd=tmp_path)
    labels = list((tmp_path / "yolo" / "labels").glob("*/*.txt"))
    assert len(labels) == 24  # the generated VOC folder's 24 images, split 80/20 per class
    assert len(list((tmp_path / "yolo" / "labels" / "val").glob("*.txt"))) > 0
    assert (tmp_path / "train" / "weights" / "best.pt").is_file()


def test_tiled_predict(trained, tmp_path):
    out, _ = trained
    text = run("tiled_predict.py", out / "train" / "weights" / "best.pt", "--out", tmp_path, cwd=tmp_path)
    assert "800x800, 25 tiles" in text  # 200 px tiles over 800 px, >= 20% overlap: 5 starts per side
    assert (tmp_path / "predict" / "mosaic.png").is_file()
