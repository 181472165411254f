# sdgas-ultra, AGPL-3.0
"""The plugin's training keys (sdgas_ultra.defaults.PLUGIN_CFG) in ultralytics' config.

Stock runs never carry them: ultralytics' DEFAULT_CFG stays as it is, the check_dict_alignment patch lets the keys
validate wherever ultralytics checks overrides, and only trainers that distil start from DEFAULT_CFG below (stock
defaults plus the plugin's), so only their args.yaml and checkpoints hold the keys.
"""

from ultralytics.utils import DEFAULT_CFG_DICT, IterableSimpleNamespace

from ..defaults import PLUGIN_CFG
from .errors import UnknownKeyError, closest

DEFAULT_CFG = IterableSimpleNamespace(**{**DEFAULT_CFG_DICT, **PLUGIN_CFG})  # SDGASTrainer's default config


def check_plugin_keys(custom):
    """Raise UnknownKeyError for every `sd_` key of dict custom that is not a plugin key, naming the closest ones."""
    unknown = [k for k in custom if k.startswith("sd_") and k not in PLUGIN_CFG]
    if unknown:
        valid = [k for k in PLUGIN_CFG if k.startswith("sd_")]
        raise UnknownKeyError(
            "\n".join(
                f"'{k}' is not a valid sdgas-ultra key; did you mean {' or '.join(closest(k, valid, n=3))}? "
                f"(valid: {', '.join(valid)})"
                for k in unknown
            )
        )
