# sdgas-ultra, AGPL-3.0
"""Tiled prediction: detect small defects on an image much larger than the model's input, tile by tile.

    python examples/tiled_predict.py sdgas-demo/train/weights/best.pt                  # on a generated 800x800 image
    python examples/tiled_predict.py WEIGHTS --source path/to/large.png --size 640     # your images (file, folder)

Each tile (--size pixels, neighbours overlapping by --overlap) is predicted at the model's size; boxes go back to
image pixels and duplicates across tile borders are merged. Same as `sdgas predict-tiled MODEL SOURCE`.
"""

import argparse
from pathlib import Path

import cv2
import numpy as np

from sdgas_ultra import SDGASModel
from sdgas_ultra.data.synthetic import sample
from sdgas_ultra.tiled import predict_tiled

parser = argparse.ArgumentParser(description="tiled prediction on a large image")
parser.add_argument("weights", help="trained .pt, e.g. sdgas-demo/train/weights/best.pt")
parser.add_argument("--source", help="image file or folder; default: a generated 4x4 mosaic of synthetic images")
parser.add_argument("--size", type=int, default=200, help="tile side in pixels (the training images' size)")
parser.add_argument("--overlap", type=float, default=0.2)
parser.add_argument("--out", default="sdgas-examples/tiled_predict", help="output folder")
args = parser.parse_args()

out = Path(args.out).resolve()
source = args.source
if not source:  # 16 synthetic 200 px images in a 4 x 4 grid: 800 x 800 px
    rows = [np.hstack([sample(1, "val", 4 * i + j, 200, easy=True)[0] for j in range(4)]) for i in range(4)]
    out.mkdir(parents=True, exist_ok=True)
    source = str(out / "mosaic.png")
    cv2.imwrite(source, np.vstack(rows))

model = SDGASModel(args.weights)
imgsz = model.ckpt["train_args"]["imgsz"]  # each tile is resized to the training size
results, save_dir = predict_tiled(model, source, size=args.size, overlap=args.overlap, imgsz=imgsz, save_img=True,
                                  project=out, name="predict", exist_ok=True)
for r in results:
    print(f"{r.path}: {len(r.boxes)} detections -> {save_dir / Path(r.path).name}")
