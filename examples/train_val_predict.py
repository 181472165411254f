# sdgas-ultra, AGPL-3.0
"""Train, validate and predict with SD-GASNet-n through the Python API (SDGASModel), on the synthetic dataset.

    python examples/train_val_predict.py                                 # about 10 min on 2 CPU cores
    python examples/train_val_predict.py --epochs 1 --imgsz 64 --images 12   # a smoke test, seconds

Everything goes under --out: data/ (the easy synthetic set), train/weights/best.pt, val/, predict/ (annotated).
"""

import argparse
from pathlib import Path

from sdgas_ultra import SDGASModel
from sdgas_ultra.data.synthetic import generate

parser = argparse.ArgumentParser(description="train, validate and predict with SDGASModel")
parser.add_argument("--model", default="sdgasnet-n.yaml", help="model YAML (a scale: sdgasnet-s.yaml, ...) or .pt")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--imgsz", type=int, default=160)
parser.add_argument("--images", type=int, default=600, help="training images to generate (val: a quarter)")
parser.add_argument("--out", default="sdgas-examples/train_val_predict", help="output folder")
args = parser.parse_args()

out = Path(args.out).resolve()  # a relative project= would land under ultralytics' runs_dir
data = generate(out / "data", n_train=args.images, n_val=max(2, args.images // 4), easy=True,
                n_test=max(2, args.images // 4))

model = SDGASModel(args.model)
model.train(data=str(data), epochs=args.epochs, imgsz=args.imgsz, batch=16, optimizer="AdamW", lr0=0.002,
            warmup_epochs=1, close_mosaic=5, project=str(out), name="train", exist_ok=True)
metrics = model.val(data=str(data), imgsz=args.imgsz, project=str(out), name="val", exist_ok=True)
print(f"validation: mAP50 {metrics.box.map50:.3f}, mAP50-95 {metrics.box.map:.3f}")

images = sorted((data.parent / "images" / "val").glob("*.png"))[:4]
results = model.predict([str(f) for f in images], imgsz=args.imgsz, save=True, project=str(out), name="predict",
                        exist_ok=True)
for r in results:
    found = [f"{r.names[int(c)]} {s:.2f}" for c, s in zip(r.boxes.cls.tolist(), r.boxes.conf.tolist())]
    print(f"{Path(r.path).name}: {', '.join(found) or 'no detections'}")
print(f"weights: {model.trainer.best}\nannotated images: {results[0].save_dir}")
