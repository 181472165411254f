# sdgas-ultra, AGPL-3.0
"""Detect with an exported SD-GASNet ONNX model using only onnxruntime, numpy and OpenCV (no torch, no plugin).

    python examples/onnx_export.py sdgas-demo/train/weights/best.pt   # writes best.onnx and runs this script
    python examples/onnx_detect.py best.onnx image.png [...] --out onnx-detections

Pre-processing as ultralytics': letterbox to the model's input size (grey 114 padding, centred), scale to 0-1,
NCHW float32. The output (1, 4 + classes, anchors) holds boxes (cx, cy, w, h in input pixels) and class scores.
"""

import argparse
import ast
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort


def letterbox(img, h, w):
    """Resize img (H0, W0[, C]) into an (h, w) canvas keeping its aspect; returns canvas, scale, (left, top)."""
    r = min(h / img.shape[0], w / img.shape[1])
    nh, nw = round(img.shape[0] * r), round(img.shape[1] * r)
    top, left = round((h - nh) / 2 - 0.1), round((w - nw) / 2 - 0.1)
    canvas = np.full((h, w, *img.shape[2:]), 114, np.uint8)
    canvas[top : top + nh, left : left + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas, r, (left, top)


def nms(boxes, scores, iou=0.7):
    """Indices kept by greedy non-maximum suppression of boxes (N, 4) xyxy, best score first."""
    order, keep = scores.argsort()[::-1], []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        lt, rb = np.maximum(boxes[i, :2], boxes[rest, :2]), np.minimum(boxes[i, 2:], boxes[rest, 2:])
        inter = np.prod(np.clip(rb - lt, 0, None), 1)
        area = np.prod(boxes[:, 2:] - boxes[:, :2], 1)
        order = rest[inter / (area[i] + area[rest] - inter + 1e-9) <= iou]
    return np.array(keep, int)


def preprocess(img, h, w):
    """img ((H0, W0) gray or (H0, W0, 3) BGR uint8) -> input (1, C, h, w) float32 in 0-1, scale, (left, top)."""
    x, r, pad = letterbox(img if img.ndim == 2 else img[..., ::-1], h, w)  # ultralytics feeds RGB
    return x.reshape(h, w, -1).transpose(2, 0, 1)[None].astype(np.float32) / 255, r, pad


def postprocess(pred, r, pad, shape, conf=0.25, iou=0.7):
    """Raw output (4 + classes, anchors) -> boxes (N, 4) xyxy in pixels of an image of `shape`, scores, classes."""
    pred = pred.T  # (anchors, 4 + classes): cx, cy, w, h in input pixels, then class scores (sigmoid applied)
    scores, classes = pred[:, 4:].max(1), pred[:, 4:].argmax(1)
    pred, scores, classes = pred[scores > conf], scores[scores > conf], classes[scores > conf]
    boxes = np.concatenate([pred[:, :2] - pred[:, 2:4] / 2, pred[:, :2] + pred[:, 2:4] / 2], 1)
    keep = nms(boxes + classes[:, None] * 4096.0, scores, iou)  # offset by class: one NMS per class
    boxes = (boxes[keep] - [*pad, *pad]) / r  # undo the letterbox
    return np.clip(boxes, 0, [shape[1], shape[0], shape[1], shape[0]]), scores[keep], classes[keep]


def detect(session, img, conf=0.25, iou=0.7):
    """Detections on img ((H0, W0) gray for a 1-channel model, else (H0, W0, 3) BGR): boxes (N, 4) xyxy in img
    pixels, scores (N,), classes (N,)."""
    inp = session.get_inputs()[0]
    x, r, pad = preprocess(img, *inp.shape[2:])
    return postprocess(session.run(None, {inp.name: x})[0][0], r, pad, img.shape, conf, iou)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="detect with an exported ONNX model, onnxruntime + numpy only")
    parser.add_argument("model", help="model.onnx exported by `yolo export format=onnx`")
    parser.add_argument("images", nargs="+")
    parser.add_argument("--conf", type=float, default=0.25)
    parser.add_argument("--out", default="sdgas-examples/onnx_detect", help="folder for the annotated images")
    args = parser.parse_args()

    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    names = ast.literal_eval(session.get_modelmeta().custom_metadata_map["names"])  # {0: 'crazing', ...}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    for file in args.images:
        gray = session.get_inputs()[0].shape[1] == 1  # the model's channels, as ultralytics reads the image
        img = cv2.imread(file, cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit(f"cannot read image {file}")
        boxes, scores, classes = detect(session, img, args.conf)
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img
        for (x0, y0, x1, y1), s, k in zip(boxes.round().astype(int).tolist(), scores, classes):
            cv2.rectangle(img, (x0, y0), (x1, y1), (0, 0, 255), 1)
            cv2.putText(img, f"{names[k]} {s:.2f}", (x0, max(y0 - 3, 8)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 255))
        saved = Path(args.out) / Path(file).name
        cv2.imwrite(str(saved), img)
        found = ", ".join(f"{names[k]} {s:.2f}" for s, k in zip(scores, classes))
        print(f"{file}: {found or 'no detections'} -> {saved}")
