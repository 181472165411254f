# sdgas-ultra, AGPL-3.0
"""Export trained SD-GASNet weights to ONNX, then detect with the ONNX file in a separate, plugin-free process.

    python examples/onnx_export.py sdgas-demo/train/weights/best.pt   # after `bash scripts/demo.sh`
    python examples/onnx_export.py WEIGHTS --images a.png b.png

Needs the export extras: pip install ".[export]" (from the clone). The ONNX file, next to the weights, holds plain
ONNX operators only; onnx_detect.py runs it with onnxruntime and numpy, without torch, ultralytics or this plugin.
"""

import argparse
import subprocess
import sys
from pathlib import Path

from sdgas_ultra import SDGASModel

parser = argparse.ArgumentParser(description="export SD-GASNet weights to ONNX and detect with onnxruntime")
parser.add_argument("weights", help="trained .pt, e.g. sdgas-demo/train/weights/best.pt")
parser.add_argument("--images", nargs="*", help="images to detect on; default: 4 from the training's val set")
parser.add_argument("--out", default="sdgas-examples/onnx_detect", help="folder for the annotated images")
args = parser.parse_args()

model = SDGASModel(args.weights)
imgsz = model.ckpt["train_args"]["imgsz"]  # export at the size it was trained at
onnx = model.export(format="onnx", imgsz=imgsz)  # path of the .onnx file
images = args.images
if not images:
    from ultralytics.data.utils import check_det_dataset

    val = check_det_dataset(model.ckpt["train_args"]["data"])["val"]
    images = [str(f) for f in sorted(Path(val).glob("*.png"))[:4]]

detect = Path(__file__).with_name("onnx_detect.py")
subprocess.run([sys.executable, str(detect), onnx, *images, "--out", args.out], check=True)
