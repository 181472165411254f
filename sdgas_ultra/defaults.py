# sdgas-ultra, AGPL-3.0
"""Training keys that sdgas-ultra adds to ultralytics' default config (so `yolo train key=value` accepts them), what
each accepts, and the checks of key names and values against those rules."""

import math
import numbers
import os

from .base.errors import KeyValueError, UnknownKeyError, closest

# key -> default value; added to ultralytics' DEFAULT_CFG_DICT on activation. README.md, "Self-distillation keys",
# lists every key (a test checks it).
PLUGIN_CFG = {
    # self-distillation (sdgas_ultra.distill), active when distill_model=teacher.pt is given
    "self_distill": False,  # (bool) train a teacher first (seed), then this model from it (seed + 1)
    "sd_teacher": None,  # (str, optional) self_distill teacher: a model YAML or .pt to train first; None: this model
    "sd_kl": True,  # (bool) KL distillation (sd_mode); False: ultralytics' built-in feature distillation (dis=)
    "sd_mode": "enhanced",  # (str) 'enhanced' (ours) or 'yolov6' (the authors': softmax at T=20, DFL on positives)
    "sd_T": None,  # (float, optional) temperature of both KL terms (scaled by T^2); None: 2 (enhanced), 20 (yolov6)
    "sd_cls": None,  # (float, optional) class-score KL gain, 0 turns it off; None: 1 (enhanced), 2 (yolov6)
    "sd_dfl": 1.0,  # (float) DFL box-bin KL gain, 0 turns the term off
    "sd_std": True,  # (bool) enhanced: logit standardisation of softmax distributions (DFL bins, softmax classes)
    "sd_fg": True,  # (bool | str) enhanced: anchor weights True/'all', 'teacher', 'assigned', False/'none' (uniform)
    "sd_cos": True,  # (bool) cosine decay of the distillation weight from 1 to 0.01 over training
    "sd_cls_dist": "sigmoid",  # (str) enhanced: class distribution 'sigmoid' (per-class Bernoulli) or 'softmax'
}

# what None means for sd_T and sd_cls in each sd_mode
MODE_DEFAULTS = {"enhanced": {"sd_T": 2.0, "sd_cls": 1.0}, "yolov6": {"sd_T": 20.0, "sd_cls": 2.0}}

# key -> what it accepts, checked before anything is written (check_plugin_values below), any of: bool (True or
# False, as ultralytics' own bool keys), str (a path), None, ">0" or ">=0" (a finite int or float in that range), or
# a literal choice
PLUGIN_RULES = {
    "self_distill": (bool,),
    "sd_teacher": (str, None),
    "sd_kl": (bool,),
    "sd_mode": tuple(MODE_DEFAULTS),
    "sd_T": (">0", None),
    "sd_cls": (">=0", None),
    "sd_dfl": (">=0",),
    "sd_std": (bool,),
    "sd_fg": (bool, "all", "teacher", "assigned", "none"),
    "sd_cos": (bool,),
    "sd_cls_dist": ("sigmoid", "softmax"),
}


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


def check_plugin_values(custom):
    """Raise KeyValueError for the first plugin key of dict custom whose value its rule in PLUGIN_RULES refuses."""
    for k, v in custom.items():
        rule = PLUGIN_RULES.get(k)
        if rule is not None and not any(_accepts(allowed, v) for allowed in rule):
            choices = [a for a in rule if isinstance(a, str) and a[0] != ">"]
            near = closest(v, choices, n=1, cutoff=0.6) if isinstance(v, str) else []
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise KeyValueError(f"'{k}={v}' is invalid: '{k}' must be {_describe(rule)}{hint}")


def _accepts(allowed, v):
    """True if value v is what `allowed` (one alternative of a PLUGIN_RULES entry) stands for."""
    if allowed is None:
        return v is None
    if allowed is bool:
        return isinstance(v, bool)
    if allowed is str:
        return isinstance(v, (str, os.PathLike))
    if allowed in (">0", ">=0"):
        number = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
        return number and (v > 0 if allowed == ">0" else v >= 0)
    return isinstance(v, str) and v == allowed


def _describe(rule):
    """'True or False', "a finite number > 0 or None", "one of 'a', 'b'": what a PLUGIN_RULES entry allows."""
    words = {None: "None", bool: "True, False", str: "a path"}
    words.update({">0": "a finite number > 0", ">=0": "a finite number >= 0"})
    parts = [words.get(a) or repr(a) for a in rule]
    text = ", ".join(parts)
    head, _, last = text.rpartition(", ")
    return f"{head} or {last}" if head else text
