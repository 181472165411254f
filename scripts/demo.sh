#!/usr/bin/env bash
# sdgas-ultra, AGPL-3.0
# Install sdgas-ultra into the active Python environment, train SD-GASNet-n on the offline synthetic dataset,
# report its mAP50 on the test images (best.pt is chosen on the validation images), draw its detections on a few
# test images and explain two of them (sdgas explain).
#   quick (default): the easy variant synthetic-defects-quick, 20 epochs at imgsz 160
#   FULL=1:          the standard synthetic-defects set, 40 epochs at imgsz 192
# README.md states the measured time and mAP50 of both.
# Everything is written under ./sdgas-demo (OUT=dir to change): the dataset, the run, the predictions. The demo keeps
# its ultralytics settings in OUT/settings, so your own settings (runs_dir, datasets_dir) are not created or changed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-sdgas-demo}"
mkdir -p "$out"
abs="$(cd "$out" && pwd)"  # ultralytics puts a relative project= under its runs_dir: pass absolute paths

python -m pip install -q --upgrade pip
python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
python -m pip install -q "$repo"

export YOLO_OFFLINE=1 YOLO_CONFIG_DIR="$abs/settings"
if [ "${FULL:-0}" = 1 ]; then
  name=synthetic-defects easy="" epochs=40 imgsz=192
else
  name=synthetic-defects-quick easy="--easy" epochs=20 imgsz=160
fi
data="$abs/datasets/$name"
sdgas synth "$data" $easy
yolo train model=sdgasnet-n.yaml data="$data/data.yaml" epochs=$epochs imgsz=$imgsz batch=16 optimizer=AdamW \
  lr0=0.002 warmup_epochs=1 close_mosaic=5 project="$abs" name=train exist_ok=True
# best.pt was chosen on the validation images: report on the test images, which chose nothing
yolo val model="$abs/train/weights/best.pt" data="$data/data.yaml" split=test imgsz="$imgsz" project="$abs" \
  name=val exist_ok=True plots=False | tee "$abs/val.log"
mkdir -p "$abs/samples"
cp "$data"/images/test/0000[0-5].png "$abs/samples/"  # one image per class
yolo predict model="$abs/train/weights/best.pt" source="$abs/samples" imgsz="$imgsz" project="$abs" name=predict \
  exist_ok=True
# why: FGPEM's high-frequency map and FIGA's allocation gates on two samples (crazing, scratches), with ground truth
sdgas explain "$abs/train/weights/best.pt" "$data/images/test/0000[05].png" --labels --imgsz "$imgsz" --out "$abs/explain"

map50="$(awk '$1 == "all" {print $6}' "$abs/val.log")"
cat <<EOF

SD-GASNet-n trained on $name in $((SECONDS / 60)) min $((SECONDS % 60)) s (install included): mAP50 $map50 on its 300
test images (best.pt was chosen on the 150 validation images).
  weights:           $out/train/weights/best.pt
  training curves:   $out/train/results.csv, $out/train/results.png
  annotated images:  $out/predict/ ($(ls "$abs/predict" | tr '\n' ' '))
  why (heat-maps):   $out/explain/ ($(ls "$abs/explain" | tr '\n' ' '))
Next: yolo predict model=$out/train/weights/best.pt source=path/to/your/image.png
EOF
