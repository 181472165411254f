# sdgas-ultra, AGPL-3.0
"""Every patch of ultralytics, registered in PATCHES, and activate(), which applies them all or none.

A patch is a function named after the upstream object it wraps; `@patch(target, ...)` registers it with the places
the replacement is installed ("module:attr.path", copies imported by name included). It receives the original and
returns the replacement, which keeps the original as `.sdgas_original`. tests/test_compat.py walks PATCHES, so a new
patch is checked without editing the tests; guard.INTERNALS must list each target.
"""

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

from ..base.errors import ModelYAMLError, short_message
from ..base.paths import SCALED_STEM, missing_model_yaml, plugin_file


@dataclass(frozen=True)
class Patch:
    """One registered patch: `make(original) -> replacement`, installed at each of `targets`."""

    name: str
    targets: tuple
    make: object


PATCHES = []  # in the order activate() applies them
_state = {"active": False, "model_class": None}


def patch(*targets):
    """Register the decorated `make(original) -> replacement` for targets ("module:attr.path", the first is read)."""

    def register(make):
        PATCHES.append(Patch(make.__name__, targets, make))
        return make

    return register


def _split(target):
    """(owner object, attribute name) of 'module:attr.path'."""
    import importlib

    module, _, attrs = target.partition(":")
    *path, attr = attrs.split(".")
    owner = importlib.import_module(module)
    for name in path:
        owner = getattr(owner, name)
    return owner, attr


def activate(model_class):
    """Apply every patch in PATCHES, all or none, once per process; model_class() returns the class that YOLO routes
    SD-GASNet models and distillation runs to. Raises ImportError (unsupported ultralytics) before any patch."""
    if _state["active"]:
        return
    from .guard import check_internals, check_version

    check_version()
    check_internals()
    _state["model_class"] = model_class
    applied = []  # (owner, attr, own value or None when inherited) to roll back
    try:
        for p in PATCHES:
            original = getattr(*_split(p.targets[0]))
            if hasattr(original, "sdgas_original"):  # patched by an earlier copy of this module (a reload)
                continue
            replacement = wraps(original)(p.make(original))
            replacement.sdgas_original = original
            for owner, attr in map(_split, p.targets):
                applied.append((owner, attr, vars(owner).get(attr)))
                setattr(owner, attr, replacement)
    except BaseException:
        for owner, attr, own in reversed(applied):
            if own is None:
                delattr(owner, attr)  # the class inherited it
            else:
                setattr(owner, attr, own)
        raise
    _state["active"] = True


# --- ultralytics.cfg.check_dict_alignment ---------------------------------------------------------------------------
@patch("ultralytics.cfg:check_dict_alignment")
def check_dict_alignment(original):
    """Accept the plugin's keys wherever ultralytics validates overrides (CLI, get_cfg), without adding them to the
    default config; a misspelt `sd_` key gets the closest valid keys, and values are checked (config.check_train_args)
    before anything is written: the CLI calls this before it builds the model, the trainer before its run folder."""

    def wrapper(base, custom, e=None, allowed_custom_keys=None):
        from ..defaults import PLUGIN_CFG
        from .config import check_train_args

        check_train_args(custom)
        return original({**PLUGIN_CFG, **base}, custom, e, allowed_custom_keys)

    return wrapper


# --- ultralytics.cfg.entrypoint (the `yolo` command; its console script binds it at import) -------------------------
@patch("ultralytics.cfg:entrypoint")
def entrypoint(original):
    """`yolo ...`: a plugin error (bad model YAML, unknown scale or key, unpaired teacher, missing dataset) is printed
    as one message on stderr with exit status 1 instead of a traceback; other errors are left as they are."""

    def wrapper(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except Exception as e:
            message = short_message(e, "yolo")
            if message is None:
                raise
            print(message, file=sys.stderr)
            raise SystemExit(1) from None

    return wrapper


# --- ultralytics.utils.checks.check_file (and the copy imported by name) -------------------------------------------
@patch("ultralytics.utils.checks:check_file", "ultralytics.data.utils:check_file")
def check_file(original):
    """Let bare names of the plugin's YAMLs (sdgasnet.yaml, synthetic-defects.yaml) resolve like built-in ones.
    check_yaml calls it through the module; check_det_dataset imported it by name."""

    def wrapper(file, *args, **kwargs):
        hit = plugin_file(file)
        return str(hit) if hit else original(file, *args, **kwargs)

    return wrapper


# --- ultralytics.nn.tasks.yaml_model_load (and engine.model's copy) ------------------------------------------------
@patch("ultralytics.nn.tasks:yaml_model_load", "ultralytics.engine.model:yaml_model_load")
def yaml_model_load(original):
    """Read the scale from '<name>-<scale>.yaml' (sdgasnet-n.yaml -> sdgasnet.yaml, scale n), as yolov8n.yaml does;
    an unknown scale names the valid ones. Only names that do not exist as files are read this way."""

    def wrapper(path):
        from ultralytics.utils import LOGGER
        from ultralytics.utils.checks import check_yaml

        path = Path(path)
        m = SCALED_STEM.match(path.stem)
        base = m and path.with_name(m["base"] + path.suffix)
        if m and not check_yaml(path, hard=False) and check_yaml(base, hard=False):
            d = original(base)
            scales = d.get("scales") or {}
            if m["scale"] not in scales:
                raise ModelYAMLError(
                    f"{path}: unknown scale '{m['scale']}'; {d['yaml_file']} has scales {', '.join(scales) or 'none'}"
                    + (f" (e.g. {m['base']}-{next(iter(scales))}{path.suffix})" if scales else "")
                )
            d["scale"], d["yaml_file"] = m["scale"], str(path)
            return d
        try:
            d = original(path)
        except FileNotFoundError:
            error = missing_model_yaml(path)  # renamed in 0.3.1, or close to a shipped name: say which
            if error is None:
                raise
            raise error from None
        if d.get("scales") and not d.get("scale"):
            if m and m["scale"] in d["scales"] and _plugin_model(d):  # a local copy sdgasnet-s.yaml: scale s, as
                d["scale"] = m["scale"]  # upstream reads a local yolov8s.yaml
            elif plugin_file(path.name):  # 'sdgasnet.yaml' alone: first scale
                d["scale"] = next(iter(d["scales"]))
                LOGGER.info(f"{path.name}: no scale in the name, using scale '{d['scale']}'")
        return d

    return wrapper


# --- ultralytics.nn.tasks.parse_model --------------------------------------------------------------------------------
@patch("ultralytics.nn.tasks:parse_model")
def parse_model(original):
    """Build YAMLs that name plugin layers or set the plugin's `legacy:` head key row by row (parser.py); others go
    to ultralytics' parser as they are. DetectionModel looks it up in the module at call time."""

    def wrapper(d, ch, verbose=True):
        from ..nn import LAYERS
        from .parser import check_rows, misspelt_plugin_layer, parse_with_plugins

        if not _plugin_model(d):
            error = misspelt_plugin_layer(d, LAYERS)
            if error:
                raise error
            return original(d, ch, verbose)
        return parse_with_plugins(d, ch, verbose, check_rows(d, LAYERS), LAYERS, original)

    return wrapper


def _plugin_model(d):
    """True if model dict d names a plugin layer in a row or sets the plugin's `legacy:` key (the plugin builds it)."""
    from ..nn import LAYERS

    rows = list(d.get("backbone") or []) + list(d.get("head") or [])
    return "legacy" in d or any(isinstance(r, (list, tuple)) and len(r) == 4 and r[2] in LAYERS for r in rows)


# --- ultralytics.nn.tasks.torch_safe_load ---------------------------------------------------------------------------
@patch("ultralytics.nn.tasks:torch_safe_load")
def torch_safe_load(original):
    """Register the plugin's layers as torch safe globals before any checkpoint load (ULTRALYTICS_SAFE_LOAD=1);
    load_checkpoint calls it through the module."""

    def wrapper(weight, *args, **kwargs):
        import torch

        from ..nn import LAYERS

        torch.serialization.add_safe_globals(list(LAYERS.values()))
        return original(weight, *args, **kwargs)

    return wrapper


# --- ultralytics.nn.tasks.BaseModel.load (pretrained=..., DetectionModel inherits it) -------------------------------
@patch("ultralytics.nn.tasks:BaseModel.load")
def BaseModel_load(original):
    """Weights loaded into an SD-GASNet model (`pretrained=yolov8n.pt`) keep its own Detect classification branch.

    When the class counts differ, upstream replaces the branch with the source's to transfer its hidden layers: from a
    YOLOv8 checkpoint that would turn the light YOLO11-style branch of a `legacy: false` YAML (sdgas-r04.yaml) back
    into YOLOv8's heavier one; a branch of the source's structure (sdgasnet.yaml's) is transferred as upstream does.
    Logs how many backbone tensors were transferred."""

    def wrapper(self, weights, verbose=True):
        from .parser import is_sdgasnet

        head = self.model[-1] if is_sdgasnet(self) else None
        own = getattr(head, "cv3", None)
        result = original(self, weights, verbose)
        if own is None:
            return result
        if head.cv3 is not own and type(head.cv3[0][0]) is not type(own[0][0]):
            head.cv3 = own  # the source's branch has another structure: keep ours, freshly initialised
        if verbose:
            from ultralytics.utils import LOGGER

            source = (weights.get("ema") or weights["model"]) if isinstance(weights, dict) else weights
            src, n = source.state_dict(), len(self.yaml.get("backbone") or [])
            keys = [k for k in self.state_dict() if k.split(".")[1].isdigit() and int(k.split(".")[1]) < n]
            hits = sum(_transfers(k, src, self.state_dict()) for k in keys)
            LOGGER.info(f"sdgas-ultra: {hits}/{len(keys)} backbone tensors (layers 0-{n - 1}) transferred")
        return result

    return wrapper


# --- ultralytics.nn.tasks.BaseModel.fuse (DetectionModel inherits it) ---------------------------------------------
@patch("ultralytics.nn.tasks:BaseModel.fuse")
def BaseModel_fuse(original):
    """After upstream folds BatchNorm into every Conv (export, predict and val fuse a model this way), each plugin layer
    with a `fuse_layer()` method merges what the folding made mergeable (Allocate: its gate and embedding convs)."""

    def wrapper(self, *args, **kwargs):
        from ..nn import LAYERS

        result = original(self, *args, **kwargs)
        for m in self.modules():
            if type(m) in LAYERS.values() and hasattr(m, "fuse_layer"):
                m.fuse_layer()
        return result

    return wrapper


# --- ultralytics.utils.torch_utils.strip_optimizer (and engine.trainer's copy) ------------------------------------
@patch("ultralytics.utils.torch_utils:strip_optimizer", "ultralytics.engine.trainer:strip_optimizer")
def strip_optimizer(original):
    """Keep the plugin's keys in a finished run's train_args: upstream strips every key its defaults lack, so without
    this best.pt of an SD-GASNet or distillation run would not record its sd_ settings. Stock runs have none."""

    def wrapper(f="best.pt", s="", updates=None):
        import torch
        from ultralytics.utils import DEFAULT_CFG_DICT

        from ..defaults import PLUGIN_CFG

        try:
            args = torch.load(f, map_location="cpu", weights_only=False).get("train_args") or {}
        except Exception:  # upstream reports an unreadable file itself
            args = {}
        if set(args) & set(PLUGIN_CFG):
            kept = {k: v for k, v in {**DEFAULT_CFG_DICT, **args}.items() if k in DEFAULT_CFG_DICT or k in PLUGIN_CFG}
            updates = {**(updates or {}), "train_args": kept}
        return original(f, s, updates)

    return wrapper


def _transfers(key, src, dst):
    """True if upstream's load fills dst[key] from src: same name and shape, or the first conv with other input
    channels (upstream sums or slices its filters, e.g. for grayscale data)."""
    if key not in src:
        return False
    a, b = src[key].shape, dst[key].shape
    return a == b or (key == "model.0.conv.weight" and (a[0], *a[2:]) == (b[0], *b[2:]))


# --- ultralytics.models.yolo.model.YOLO.__init__ --------------------------------------------------------------------
@patch("ultralytics.models.yolo.model:YOLO.__init__")
def YOLO_init(original):
    """Route YOLO('sdgasnet-n.yaml') and YOLO('best.pt') of an SD-GASNet to the plugin's model class, as YOLO routes
    RT-DETR."""
    from ultralytics.models.yolo.model import YOLO

    def wrapper(self, *args, **kwargs):
        from .parser import is_sdgasnet

        original(self, *args, **kwargs)
        if type(self) is YOLO and is_sdgasnet(getattr(self, "model", None)):
            self.__class__ = _state["model_class"]()

    return wrapper


# --- ultralytics.models.yolo.model.YOLO.train (inherited from engine.model.Model) ----------------------------------
@patch("ultralytics.models.yolo.model:YOLO.train")
def YOLO_train(original):
    """Route YOLO(...).train(self_distill=True or any sd_* key) to the plugin's model class, so `yolo train
    model=yolov8n.yaml distill_model=t.pt sd_T=3` uses the plugin's distillation instead of ignoring the keys."""
    from ultralytics.models.yolo.model import YOLO

    def wrapper(self, *args, **kwargs):
        if type(self) is YOLO and any(k == "self_distill" or k.startswith("sd_") for k in kwargs):
            self.__class__ = _state["model_class"]()
            return self.train(*args, **kwargs)
        return original(self, *args, **kwargs)

    return wrapper


# --- INT8 exports: upstream's quantizer calls, with the settings chosen on validation images (docs/benchmarks.md) ----
@contextmanager
def _with_defaults(module, name, **defaults):
    """Within the block, module.<name> fills in `defaults` for keywords its caller leaves out; restored on exit."""
    original = getattr(module, name)
    setattr(module, name, lambda *args, **kwargs: original(*args, **{**defaults, **kwargs}))
    try:
        yield
    finally:
        setattr(module, name, original)


@patch("ultralytics.utils.export.openvino:torch2openvino")
def torch2openvino(original):
    """OpenVINO INT8 (`quantize=8`) calibrates activation ranges by their min and max over the calibration images
    instead of nncf's default estimator, which clips the extremes: on the defect images of docs/benchmarks.md that
    cost sdgasnet-n and yolov8n 4-5 mAP50 points on average, min-max under 1. Other precisions are left as they are.
    The exporter imports it at call time; upstream imports nncf inside it, so the module's `quantize` is what it
    calls (nncf is installed by then: the exporter checks for it first)."""
    import inspect

    signature = inspect.signature(original)

    def wrapper(*args, **kwargs):
        if signature.bind(*args, **kwargs).arguments.get("quantize") != 8:
            return original(*args, **kwargs)
        import nncf
        from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters
        from nncf.quantization.range_estimator import RangeEstimatorParametersSet

        ranges = AdvancedQuantizationParameters(activations_range_estimator_params=RangeEstimatorParametersSet.MINMAX)
        with _with_defaults(nncf, "quantize", advanced_parameters=ranges):
            return original(*args, **kwargs)

    return wrapper


@patch("ultralytics.utils.export.onnx:onnx_int8_quantize")
def onnx_int8_quantize(original):
    """ONNX Runtime INT8 (`format=onnx quantize=8`) quantizes weights per output channel instead of per tensor: on
    the validation images of docs/benchmarks.md sdgasnet-n's INT8 scores 0.2 mAP50 points above its FP32 on average,
    0.5 below per tensor (yolov8n: 1.6 and 1.3 below). Upstream imports quantize_static inside it, so
    onnxruntime.quantization's is what it calls."""

    def wrapper(*args, **kwargs):
        import onnxruntime.quantization as ort_quantization

        with _with_defaults(ort_quantization, "quantize_static", per_channel=True):
            return original(*args, **kwargs)

    return wrapper
