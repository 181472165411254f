# sdgas-ultra, AGPL-3.0
"""Self-distillation with the enhanced KL loss (SD-GASNet's "SD"): loss, trainer, pairing check, pipeline.

`distill_model=teacher.pt` on an SDGASModel (or `trainer=SDGASTrainer`) distils a trained teacher into the student;
`self_distill=True` trains the teacher first. The sd_* keys in sdgas_ultra.defaults configure the loss.
"""

from .kl import EnhancedKL
from .pairing import PairingError, check_pairing

__all__ = ("EnhancedKL", "PairingError", "check_pairing")
