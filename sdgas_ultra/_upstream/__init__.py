# sdgas-ultra, AGPL-3.0
"""Every touch of ultralytics internals, in one package, by job.

- guard.py: the supported ultralytics range, INTERNALS (each upstream object relied on) and BEHAVIOURS (what those
  objects must do), checked before any patch;
- patches.py: each patch, registered in PATCHES, and activate() (all or none, once per process);
- parser.py: row checks and the row-by-row builder behind the parse_model patch;
- distill.py: adapters that sdgas_ultra.distill uses to read and drive upstream's detector, loss and trainer
  (imported from the module itself: `from .._upstream.distill import ...`);
- scale.py: parse_model's width/depth rule, which the plugin layers' `parse` applies to their own rows;
- config.py: the plugin's training keys in ultralytics' config, and the checks a training run's keys get.

The plugin's error types and paths are its own, in sdgas_ultra/base/. Nothing here imports the rest of sdgas_ultra
except base/, nn/ (the layers) and defaults.py: the dependency is one-way.
"""

from .guard import BEHAVIOURS, INTERNALS, SUPPORTED, check_internals, check_version
from .parser import build_stock_row, is_sdgasnet, parse_with_plugins
from .patches import PATCHES, activate

__all__ = (
    "BEHAVIOURS", "INTERNALS", "SUPPORTED", "check_internals", "check_version", "build_stock_row", "is_sdgasnet",
    "parse_with_plugins", "PATCHES", "activate", "DEFAULT_CFG", "check_train_args",
)


def __getattr__(name):
    """DEFAULT_CFG (the distillation trainers' default config) and check_train_args import ultralytics: on first use."""
    if name in ("DEFAULT_CFG", "check_train_args"):
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'sdgas_ultra._upstream' has no attribute '{name}'")
