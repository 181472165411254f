# sdgas-ultra, AGPL-3.0
"""The plugin's training keys (sdgas_ultra.defaults.PLUGIN_CFG) in ultralytics' config, and the checks a training
run's keys get before anything is written: the plugin keys' own (defaults.py), then the files and folder it names.

Stock runs never carry them: ultralytics' DEFAULT_CFG stays as it is, the check_dict_alignment patch lets the keys
validate wherever ultralytics checks overrides, and only trainers that distil start from DEFAULT_CFG below (stock
defaults plus the plugin's), so only their args.yaml and checkpoints hold the keys.
"""

import os
import tempfile
import zipfile
from pathlib import Path

from ultralytics.utils import DEFAULT_CFG_DICT, IterableSimpleNamespace

from ..base.errors import KeyValueError, MissingFileError
from ..defaults import PLUGIN_CFG, check_plugin_keys, check_plugin_values

DEFAULT_CFG = IterableSimpleNamespace(**{**DEFAULT_CFG_DICT, **PLUGIN_CFG})  # SDGASTrainer's default config
YAML_SUFFIXES = (".yaml", ".yml")
EXAMPLE_WEIGHTS = "e.g. runs/detect/train/weights/best.pt"


def check_train_args(custom):
    """Every check of dict custom (overrides) before a run starts: plugin key names and values, distill_model and an
    sd_teacher checkpoint, an absolute project folder. Raises UnknownKeyError, KeyValueError or MissingFileError."""
    check_plugin_keys(custom)
    check_plugin_values(custom)
    distill, teacher = custom.get("distill_model"), custom.get("sd_teacher")
    if distill and isinstance(distill, (str, os.PathLike)):
        check_checkpoint("distill_model", distill)
    if teacher and Path(teacher).suffix not in YAML_SUFFIXES:  # a YAML teacher is built: yaml_model_load checks it
        check_checkpoint("sd_teacher", teacher)
    if custom.get("project"):
        check_project(custom["project"])


def check_checkpoint(key, value):
    """Raise unless value names a checkpoint file that exists, or a release asset that ultralytics downloads (online,
    a bare name such as yolov8n.pt): a missing local file is never looked up online."""
    from ultralytics.utils import ONLINE
    from ultralytics.utils.downloads import GITHUB_ASSETS_NAMES

    path = Path(value)
    if path.suffix in YAML_SUFFIXES:
        raise KeyValueError(
            f"'{key}={value}' is a model YAML, not a trained checkpoint: train it first (yolo train model={value} "
            f"data=...) and pass the run's weights/best.pt"
        )
    if not path.exists():
        if ONLINE and str(value) == path.name and path.name in GITHUB_ASSETS_NAMES:
            return  # upstream downloads it
        raise MissingFileError(
            f"'{key}={value}': no such file ({path.resolve()}); pass a trained checkpoint, {EXAMPLE_WEIGHTS}"
        )
    if not path.is_file() or not _looks_like_checkpoint(path):
        raise KeyValueError(
            f"'{key}={value}' is not a PyTorch checkpoint (torch.save writes a zip archive or a pickle); pass a "
            f"trained checkpoint, {EXAMPLE_WEIGHTS}"
        )


def _looks_like_checkpoint(path):
    """True if file path starts as torch.save output does: a zip archive, or a pickle (protocol 2 or later)."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
        return zipfile.is_zipfile(path) or (len(head) == 2 and head[0] == 0x80 and head[1] >= 2)
    except OSError:
        return True  # unreadable: upstream's loader names the cause


def check_project(project):
    """Raise KeyValueError unless folder `project` (absolute: a relative one lives under runs_dir) can be made or
    written to; probes with a temporary folder that it removes at once."""
    path = Path(str(project)).expanduser()
    if not path.is_absolute():
        return
    existing = next(p for p in (path, *path.parents) if p.exists())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(f"{existing} is a file")
        os.rmdir(tempfile.mkdtemp(prefix=".sdgas-probe-", dir=existing))
    except OSError as e:
        raise KeyValueError(
            f"'project={project}' cannot be written ({e.strerror or e}); pass a folder you can write to"
        ) from None
