# sdgas-ultra, AGPL-3.0
"""Self-distillation (SD-GASNet's "SD"): losses, trainer, pairing check, pipeline.

`distill_model=teacher.pt` on an SDGASModel (or `trainer=SDGASTrainer`) distils a trained teacher into the student;
`self_distill=True` trains the teacher first (`sd_teacher` picks it). `sd_mode` picks the loss: our enhanced KL
(kl.EnhancedKL, default) or the authors' YOLOv6 recipe (yolov6.YOLOv6KL). The sd_* keys in sdgas_ultra.defaults
configure them.
"""

from .kl import EnhancedKL
from .pairing import PairingError, check_pairing
from .yolov6 import YOLOv6KL

__all__ = ("EnhancedKL", "PairingError", "YOLOv6KL", "check_pairing")
