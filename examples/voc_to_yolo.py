# sdgas-ultra, AGPL-3.0
"""Convert a Pascal VOC folder (images + XML, as NEU-DET or PCB ship) to a YOLO dataset and train on it.

    python examples/voc_to_yolo.py --src path/to/NEU-DET          # your VOC folder
    python examples/voc_to_yolo.py --epochs 1 --imgsz 64           # without --src: a generated VOC folder of 24 images

The converter finds image/XML pairs by file stem anywhere under --src, keeps train/val folders it finds and splits
the rest 80/20 per class. Same as `sdgas convert-voc SRC OUT`.
"""

import argparse
from pathlib import Path

import cv2

from sdgas_ultra import SDGASModel
from sdgas_ultra.data.synthetic import CLASSES, sample
from sdgas_ultra.data.voc import convert_voc

XML = """<annotation><filename>{name}</filename><size><width>{w}</width><height>{h}</height><depth>1</depth></size>
{objects}</annotation>
"""
OBJECT = "<object><name>{}</name><bndbox><xmin>{}</xmin><ymin>{}</ymin><xmax>{}</xmax><ymax>{}</ymax></bndbox>"
OBJECT += "</object>\n"


def write_voc(folder, n=24):
    """A small VOC folder: folder/JPEGImages/*.jpg and folder/Annotations/*.xml drawn from the synthetic set."""
    (folder / "JPEGImages").mkdir(parents=True, exist_ok=True)
    (folder / "Annotations").mkdir(exist_ok=True)
    for i in range(n):
        img, labels = sample(0, "train", i, 200, easy=True)
        h, w = img.shape
        objects = ""
        for c, cx, cy, bw, bh in labels.tolist():  # normalised centre/size -> VOC's 1-based pixel corners
            x0, y0, x1, y1 = (cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h
            objects += OBJECT.format(CLASSES[int(c)], round(x0) + 1, round(y0) + 1, round(x1), round(y1))
        cv2.imwrite(str(folder / "JPEGImages" / f"img{i:03d}.jpg"), img)
        (folder / "Annotations" / f"img{i:03d}.xml").write_text(XML.format(name=f"img{i:03d}.jpg", w=w, h=h,
                                                                            objects=objects))


parser = argparse.ArgumentParser(description="convert a VOC folder to YOLO and train SD-GASNet-n on it")
parser.add_argument("--src", help="VOC folder; default: generate a small one under --out")
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--imgsz", type=int, default=640)
parser.add_argument("--out", default="sdgas-examples/voc_to_yolo", help="output folder")
args = parser.parse_args()

out = Path(args.out).resolve()
src = Path(args.src) if args.src else out / "voc"
if not args.src:
    write_voc(src)
report = convert_voc(src, out / "yolo", names=None if args.src else list(CLASSES), overwrite=True)
model = SDGASModel("sdgasnet-n.yaml")
model.train(data=str(out / "yolo" / "data.yaml"), epochs=args.epochs, imgsz=args.imgsz, project=str(out),
            name="train", exist_ok=True)
print(f"dataset: {out / 'yolo' / 'data.yaml'}\nweights: {model.trainer.best}")
