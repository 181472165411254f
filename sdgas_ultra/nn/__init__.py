# sdgas-ultra, AGPL-3.0
"""SD-GASNet layers. Each paper term is one class: MFA, FGPEM, FIGA (+ Allocate), CS; AES-FPN is the YAML neck."""

from .cs import CS
from .figa import FIGA, Allocate
from .fgpem import FGPEM
from .mfa import MFA
from .registry import LAYERS, register

__all__ = ("CS", "FIGA", "Allocate", "FGPEM", "MFA", "LAYERS", "register")
