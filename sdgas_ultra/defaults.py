# sdgas-ultra, AGPL-3.0
"""Training keys that sdgas-ultra adds to ultralytics' default config (so `yolo train key=value` accepts them)."""

# key -> default value; added to ultralytics' DEFAULT_CFG_DICT on activation
PLUGIN_CFG = {
    # self-distillation (sdgas_ultra.distill), active when distill_model=teacher.pt is given
    "self_distill": False,  # (bool) SDGASModel.train: train a teacher of the same model first, then distil from it
    "sd_kl": True,  # (bool) enhanced-KL distillation; False: ultralytics' built-in feature distillation (dis=)
    "sd_T": 2.0,  # (float) temperature of both KL terms (losses are scaled by T^2)
    "sd_cls": 1.0,  # (float) class-score KL gain, 0 turns the term off
    "sd_dfl": 1.0,  # (float) DFL box-bin KL gain, 0 turns the term off
    "sd_std": True,  # (bool) logit standardization before the temperature (the "enhanced" part)
    "sd_fg": True,  # (bool | str) foreground weights: True/'both', 'teacher', 'assigned', False/'none' (uniform)
    "sd_cos": True,  # (bool) cosine decay of the distillation weight from 1 to 0.01 over training
    "sd_cls_dist": "sigmoid",  # (str) class distribution: 'sigmoid' (per-class Bernoulli) or 'softmax' (YOLOv6)
}
