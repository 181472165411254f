# sdgas-ultra, AGPL-3.0
"""Self-distillation: train SD-GASNet-n, then a fresh SD-GASNet-n that learns from it (enhanced KL, `sd_` keys).

    python examples/self_distill.py                                    # two trainings, about 20 min on 2 CPU cores
    python examples/self_distill.py --epochs 1 --imgsz 64 --images 12   # a smoke test

`self_distill=True` trains the teacher first (run '<name>-teacher'), then the student from its best.pt (run
'<name>'); with a teacher you already have, pass distill_model=teacher.pt instead. The sd_ keys tune the loss.
"""

import argparse
from pathlib import Path

from sdgas_ultra import SDGASModel
from sdgas_ultra.data.synthetic import generate

parser = argparse.ArgumentParser(description="born-again self-distillation of SD-GASNet-n")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--imgsz", type=int, default=160)
parser.add_argument("--images", type=int, default=600, help="training images to generate (val: a quarter)")
parser.add_argument("--out", default="sdgas-examples/self_distill", help="output folder")
args = parser.parse_args()

out = Path(args.out).resolve()
data = generate(out / "data", n_train=args.images, n_val=max(2, args.images // 4), easy=True,
                n_test=max(2, args.images // 4))

student = SDGASModel("sdgasnet-n.yaml")
metrics = student.train(
    data=str(data), epochs=args.epochs, imgsz=args.imgsz, project=str(out), name="student", exist_ok=True,
    self_distill=True,  # teacher: the same model, trained first with these settings
    sd_mode="enhanced", sd_T=2.0, sd_cls=1.0, sd_dfl=1.0,  # the defaults, spelled out
)
teacher = out / "student-teacher" / "weights" / "best.pt"
print(f"teacher: {teacher}\nstudent: {student.trainer.best} (mAP50 {metrics.box.map50:.3f})")
