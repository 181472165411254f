# sdgas-ultra, AGPL-3.0
"""Every touch of ultralytics internals, in one place.

Each function below is named after the upstream object it wraps or changes, and tests/test_upstream.py checks
each one against the installed ultralytics, so a moved internal fails loudly there instead of mis-building models.
`activate()` applies them all, once per process; the start-up hook calls it whenever ultralytics is imported.
"""

import os
import re
from functools import wraps
from pathlib import Path

SUPPORTED = ((8, 4, 177), (8, 5, 0))  # ultralytics versions: lowest supported, first unsupported
PACKAGE_DIR = Path(__file__).resolve().parent
# wheel: sdgas_ultra/cfg; source checkout (editable install, tests): <repo>/cfg
CFG_DIR = PACKAGE_DIR / "cfg" if (PACKAGE_DIR / "cfg").is_dir() else PACKAGE_DIR.parent / "cfg"
SCALED_STEM = re.compile(r"^(?P<base>.+)-(?P<scale>[nslmx])$")  # sdgasnet-n -> sdgasnet, n

_active = False


class ModelYAMLError(ValueError):
    """A model YAML row that cannot be built; the message names the file, the row and the problem."""


def check_version(version=None):
    """Raise ImportError unless the installed ultralytics version is in SUPPORTED."""
    import ultralytics

    version = version or ultralytics.__version__
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
    low, high = SUPPORTED
    if not low <= parts < high:
        raise ImportError(
            f"sdgas-ultra supports ultralytics>={'.'.join(map(str, low))},<{'.'.join(map(str, high))}, "
            f"but ultralytics {version} is installed. Run: pip install 'ultralytics>={'.'.join(map(str, low))},"
            f"<{'.'.join(map(str, high))}'"
        )


# What the touches below rely on, checked by check_internals() before any touch is applied. Each row names an upstream
# object as "module:attribute.path" and its expected shape: a tuple lists a callable's leading parameters (in order),
# a set lists keys a dict must hold, a class is an isinstance check (`type`: must be a class, `object`: must exist).
# Add a row with every new touch.
INTERNALS = (
    ("ultralytics.utils:DEFAULT_CFG_DICT", {"model", "data", "distill_model"}),
    ("ultralytics.utils:DEFAULT_CFG", object),
    ("ultralytics.utils.checks:check_file", ("file",)),
    ("ultralytics.utils.checks:check_yaml", ("file", "suffix", "hard")),
    ("ultralytics.data.utils:check_file", ("file",)),
    ("ultralytics.nn.tasks:yaml_model_load", ("path",)),
    ("ultralytics.engine.model:yaml_model_load", ("path",)),
    ("ultralytics.nn.tasks:parse_model", ("d", "ch", "verbose")),
    ("ultralytics.nn.tasks:Index", type),
    ("ultralytics.nn.tasks:torch_safe_load", ("weight",)),
    ("ultralytics.models.yolo.model:YOLO.__init__", ("self", "model", "task", "verbose")),
    ("ultralytics.models.yolo.model:YOLO.train", ("self", "trainer")),
    # distillation touches
    ("ultralytics.nn.modules.head:Detect", type),
    ("ultralytics.utils.loss:v8DetectionLoss.parse_output", ("self", "preds")),
    ("ultralytics.utils.loss:v8DetectionLoss.get_assigned_targets_and_loss", ("self", "preds", "batch")),
    ("ultralytics.nn.tasks:BaseModel.init_criterion", ("self",)),
    ("ultralytics.engine.trainer:BaseTrainer._setup_train", ("self",)),
    ("ultralytics.nn.distill_model:DistillationModel", type),
)


def check_internals():
    """Raise one ImportError naming the ultralytics version and every internal in INTERNALS that moved or changed.

    Beyond names and signatures it checks the one parser rule `_build_stock_row` builds on: an `Index` row outputs as
    many channels as its first argument, and `nn.BatchNorm2d` is sized to its input.
    """
    import importlib
    import inspect

    import ultralytics

    problems = []
    for where, shape in INTERNALS:
        module, _, attrs = where.partition(":")
        name = f"{module}.{attrs}"
        try:
            obj = importlib.import_module(module)
            for attr in attrs.split("."):
                obj = getattr(obj, attr)
        except (ImportError, AttributeError):
            problems.append(f"{name}: missing")
            continue
        if isinstance(shape, tuple):
            try:
                params = tuple(inspect.signature(obj).parameters)
            except (TypeError, ValueError):
                params = None
            if params is None or params[: len(shape)] != shape:
                problems.append(f"{name}: expected parameters ({', '.join(shape)}, ...), found {params}")
        elif isinstance(shape, set):
            if not isinstance(obj, dict) or not shape <= obj.keys():
                problems.append(f"{name}: expected a dict with keys {sorted(shape)}")
        elif not (isinstance(obj, type) if shape is type else isinstance(obj, shape)):
            problems.append(f"{name}: expected a {shape.__name__}, found {type(obj).__name__}")
    if not problems:
        problems += _check_parse_model_index_rule()
    if problems:
        low, high = (".".join(map(str, v)) for v in SUPPORTED)
        raise ImportError(
            f"sdgas-ultra cannot run on ultralytics {ultralytics.__version__}: internals it builds on have moved or "
            f"changed, so it refuses to activate rather than build wrong models.\n  - "
            + "\n  - ".join(problems)
            + f"\nInstall a supported version: pip install 'ultralytics>={low},<{high}'"
        )


def _check_parse_model_index_rule():
    """Problems (list of str) with the parser rules _build_stock_row relies on, found by parsing a two-row model."""
    from ultralytics.nn import tasks

    parse = getattr(tasks.parse_model, "sdgas_original", tasks.parse_model)
    probe = {"backbone": [[-1, 1, "Index", [7, 0]], [-1, 1, "nn.BatchNorm2d", []]], "head": [], "nc": 1}
    try:
        seq, _ = parse(probe, ch=3, verbose=False)
        channels = seq[1].num_features
    except Exception as e:
        return [f"ultralytics.nn.tasks.parse_model: cannot parse an Index row ({type(e).__name__}: {e})"]
    if channels != 7:
        return ["ultralytics.nn.tasks.parse_model: an Index row's output channels are no longer its first argument"]
    return []


def activate():
    """Install the plugin into ultralytics (idempotent): CLI keys, YAML lookup, model parser, loading, routing."""
    global _active
    if _active:
        return
    check_version()
    check_internals()  # before any touch: a moved internal leaves ultralytics unpatched
    DEFAULT_CFG_DICT()
    check_file()
    yaml_model_load()
    parse_model()
    torch_safe_load()
    YOLO_init()
    YOLO_train()
    _active = True


def plugin_file(name):
    """Path of a file shipped in the plugin's cfg/ (e.g. 'sdgasnet.yaml'), or None. Only bare names are looked up."""
    name = str(name)
    if not name or "/" in name or "\\" in name or os.path.exists(name):
        return None
    return next(iter(sorted(CFG_DIR.rglob(name))), None)


# --- ultralytics.utils.DEFAULT_CFG_DICT / DEFAULT_CFG ---------------------------------------------------------------
def DEFAULT_CFG_DICT():
    """Add the plugin's training keys to the default config, so `yolo train sd_T=2` and Python kwargs validate."""
    from ultralytics import utils

    from .defaults import PLUGIN_CFG

    for k, v in PLUGIN_CFG.items():
        utils.DEFAULT_CFG_DICT.setdefault(k, v)  # the CLI and get_cfg validate against this very dict
        if not hasattr(utils.DEFAULT_CFG, k):
            setattr(utils.DEFAULT_CFG, k, v)


# --- ultralytics.utils.checks.check_file (and the copies imported by name) -----------------------------------------
def check_file():
    """Let bare names of the plugin's YAMLs (sdgasnet.yaml, synthetic-defects.yaml) resolve like built-in ones."""
    from ultralytics.data import utils as data_utils
    from ultralytics.utils import checks

    original = checks.check_file

    @wraps(original)
    def wrapper(file, *args, **kwargs):
        hit = plugin_file(file)
        return str(hit) if hit else original(file, *args, **kwargs)

    wrapper.sdgas_original = original
    checks.check_file = wrapper  # check_yaml calls it through the module
    data_utils.check_file = wrapper  # check_det_dataset imported it by name


# --- ultralytics.nn.tasks.yaml_model_load (and engine.model's copy) ------------------------------------------------
def yaml_model_load():
    """Read the scale from '<name>-<scale>.yaml' (sdgasnet-n.yaml -> sdgasnet.yaml, scale n), as yolov8n.yaml does."""
    from ultralytics.engine import model as engine_model
    from ultralytics.nn import tasks
    from ultralytics.utils import LOGGER
    from ultralytics.utils.checks import check_yaml

    original = tasks.yaml_model_load

    @wraps(original)
    def wrapper(path):
        path = Path(path)
        m = SCALED_STEM.match(path.stem)
        if m and not check_yaml(path, hard=False) and check_yaml(path.with_name(m["base"] + path.suffix), hard=False):
            d = original(path.with_name(m["base"] + path.suffix))
            if m["scale"] not in (d.get("scales") or {}):
                raise ModelYAMLError(f"{path}: scale '{m['scale']}' is not in the scales: of {d['yaml_file']}")
            d["scale"], d["yaml_file"] = m["scale"], str(path)
            return d
        d = original(path)
        if d.get("scales") and not d.get("scale") and plugin_file(path.name):  # 'sdgasnet.yaml' alone: first scale
            d["scale"] = next(iter(d["scales"]))
            LOGGER.info(f"{path.name}: no scale in the name, using scale '{d['scale']}'")
        return d

    wrapper.sdgas_original = original
    tasks.yaml_model_load = wrapper
    engine_model.yaml_model_load = wrapper  # Model._new imported it by name


# --- ultralytics.nn.tasks.parse_model --------------------------------------------------------------------------------
def parse_model():
    """Build YAML rows that name plugin layers; rows of stock layers are still built by ultralytics' own parser."""
    from ultralytics.nn import tasks

    original = tasks.parse_model

    @wraps(original)
    def wrapper(d, ch, verbose=True):
        from .nn import LAYERS

        rows = check_rows(d, LAYERS)
        if not any(m in LAYERS for _, _, m, _ in rows):
            return original(d, ch, verbose)
        return _parse_with_plugins(d, ch, verbose, rows, LAYERS, original)

    wrapper.sdgas_original = original
    tasks.parse_model = wrapper  # DetectionModel looks it up in the module at call time


def check_rows(d, plugin_layers):
    """Validate every [from, repeats, module, args] row of model dict d before anything is built."""
    import torch

    from ultralytics.nn import tasks

    rows = list(d.get("backbone") or []) + list(d.get("head") or [])
    n_backbone = len(d.get("backbone") or [])
    for i, row in enumerate(rows):
        where = f"{d.get('yaml_file', 'model YAML')}: " + (
            f"backbone row {i}" if i < n_backbone else f"head row {i - n_backbone} (layer {i})"
        )
        if not isinstance(row, (list, tuple)) or len(row) != 4:
            raise ModelYAMLError(f"{where} {row!r}: expected [from, repeats, module, args]")
        f, n, m, args = row
        if not isinstance(m, str):
            raise ModelYAMLError(f"{where} {row!r}: module must be a name, got {m!r}")
        known = (
            m in plugin_layers
            or (m.startswith("nn.") and hasattr(torch.nn, m[3:]))
            or m.startswith("torchvision.ops.")
            or isinstance(vars(tasks).get(m), type)
        )
        if not known:
            raise ModelYAMLError(f"{where} {row!r}: unknown module '{m}' (not an ultralytics, torch.nn or sdgas layer)")
        froms = f if isinstance(f, list) else [f]
        if not froms or not all(isinstance(j, int) and not isinstance(j, bool) for j in froms):
            raise ModelYAMLError(f"{where} {row!r}: 'from' must be an int or a list of ints, got {f!r}")
        for j in froms:
            src = i + j if j < 0 else j
            if j < 0 and src < 0 and not (i == 0 and j == -1):
                raise ModelYAMLError(f"{where} {row!r}: 'from' {j} points before the first layer")
            if j >= i:
                raise ModelYAMLError(
                    f"{where} {row!r}: 'from' {j} is a forward reference or cycle (layer {i} can only read layers < {i})"
                )
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ModelYAMLError(f"{where} {row!r}: repeats must be a positive int, got {n!r}")
        if not isinstance(args, list):
            raise ModelYAMLError(f"{where} {row!r}: args must be a list, got {args!r}")
        if m in plugin_layers and n != 1:
            raise ModelYAMLError(f"{where} {row!r}: plugin layer {m} takes repeats 1 (depth is one of its args)")
    return rows


def _parse_with_plugins(d, ch, verbose, rows, plugin_layers, original):
    """Row-by-row build: plugin rows by their own `parse` rule, stock rows by `original` on a one-row model."""
    import torch
    from ultralytics.utils import LOGGER

    from .nn import Scale

    scales, scale = d.get("scales"), d.get("scale")
    if scales:
        sc = Scale(*scales[scale or next(iter(scales))])
    else:
        sc = Scale(d.get("depth_multiple", 1.0), d.get("width_multiple", 1.0))
    if verbose:
        LOGGER.info(f"\n{'':>3}{'from':>20}{'n':>3}{'params':>10}  {'module':<45}{'arguments':<30}")
    layers, save, chs = [], [], []
    n_backbone = len(d.get("backbone") or [])
    for i, (f, n, m, args) in enumerate(rows):
        c_in = [ch if (i == 0 and j == -1) else chs[j] for j in (f if isinstance(f, list) else [f])]
        try:
            if m in plugin_layers:
                cls = plugin_layers[m]
                ctor_args, c2 = cls.parse(c_in if isinstance(f, list) else c_in[0], list(args), sc)
                layer = cls(*ctor_args)
                layer.np = sum(p.numel() for p in layer.parameters())
                t = f"{cls.__module__}.{cls.__name__}"
            else:
                layer, c2 = _build_stock_row(d, f, n, m, args, c_in, original)
                ctor_args, t = args, layer.type
        except ModelYAMLError:
            raise
        except Exception as e:
            where = f"backbone row {i}" if i < n_backbone else f"head row {i - n_backbone} (layer {i})"
            raise ModelYAMLError(
                f"{d.get('yaml_file', 'model YAML')}: {where} {[f, n, m, args]}: cannot build {m} with input "
                f"channels {c_in}: {type(e).__name__}: {e}"
            ) from e
        layer.i, layer.f, layer.type = i, f, t
        if verbose:
            LOGGER.info(f"{i:>3}{f!s:>20}{n:>3}{layer.np:10.0f}  {t:<45}{ctor_args!s:<30}")
        save.extend(x % i for x in ([f] if isinstance(f, int) else f) if x != -1)
        layers.append(layer)
        chs.append(c2)
    return torch.nn.Sequential(*layers), sorted(save)


def _build_stock_row(d, f, n, m, args, c_in, original):
    """Build one stock row with ultralytics' parser, so its channel and scaling rules stay upstream's.

    The row is parsed as a tiny model: one `Index` placeholder per input (a stock layer whose output channels are its
    first argument), the row itself, then a `nn.BatchNorm2d` probe, which the parser sizes to the row's output
    channels. Returns (layer, output channels).
    """
    sub = {k: v for k, v in d.items() if k not in ("backbone", "head")}
    sub["backbone"] = [[-1, 1, "Index", [c, 0]] for c in c_in]
    sub["backbone"] += [[list(range(len(c_in))) if isinstance(f, list) else -1, n, m, list(args)]]
    sub["backbone"] += [[-1, 1, "nn.BatchNorm2d", []]]
    sub["head"] = []
    seq, _ = original(sub, ch=c_in[0], verbose=False)
    return seq[len(c_in)], seq[len(c_in) + 1].num_features


# --- ultralytics.nn.tasks.torch_safe_load ---------------------------------------------------------------------------
def torch_safe_load():
    """Register the plugin's layers as torch safe globals before any checkpoint load (ULTRALYTICS_SAFE_LOAD=1)."""
    from ultralytics.nn import tasks

    original = tasks.torch_safe_load

    @wraps(original)
    def wrapper(weight, *args, **kwargs):
        import torch

        from .nn import LAYERS

        torch.serialization.add_safe_globals(list(LAYERS.values()))
        return original(weight, *args, **kwargs)

    wrapper.sdgas_original = original
    tasks.torch_safe_load = wrapper  # load_checkpoint calls it through the module


# --- ultralytics.models.yolo.model.YOLO.__init__ --------------------------------------------------------------------
def YOLO_init():
    """Route YOLO('sdgasnet-n.yaml') and YOLO('best.pt') of an SD-GASNet to SDGASModel, as YOLO routes RT-DETR."""
    from ultralytics.models.yolo.model import YOLO

    original = YOLO.__init__

    @wraps(original)
    def wrapper(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if type(self) is YOLO and is_sdgasnet(getattr(self, "model", None)):
            from .model import SDGASModel

            self.__class__ = SDGASModel

    wrapper.sdgas_original = original
    YOLO.__init__ = wrapper


# --- ultralytics.models.yolo.model.YOLO.train (inherited from engine.model.Model) ----------------------------------------
def YOLO_train():
    """Route YOLO(...).train(self_distill=True or any sd_* key) to SDGASModel, so `yolo train model=yolov8n.yaml
    distill_model=t.pt sd_T=3` uses the enhanced KL instead of silently ignoring the sd_ keys."""
    from ultralytics.models.yolo.model import YOLO

    original = YOLO.train

    @wraps(original)
    def wrapper(self, *args, **kwargs):
        if type(self) is YOLO and any(k == "self_distill" or k.startswith("sd_") for k in kwargs):
            from .model import SDGASModel

            self.__class__ = SDGASModel
            return self.train(*args, **kwargs)
        return original(self, *args, **kwargs)

    wrapper.sdgas_original = original
    YOLO.train = wrapper


def is_sdgasnet(model):
    """True if model (an nn.Module) contains any plugin layer."""
    import torch

    from .nn import LAYERS

    layers = tuple(LAYERS.values())
    return isinstance(model, torch.nn.Module) and any(isinstance(m, layers) for m in model.modules())


# --- distillation touches ---
# What sdgas_ultra.distill reads or drives inside ultralytics; tests/test_distill_train.py covers each one.


# --- ultralytics.nn.modules.head.Detect.forward_head (its raw output) -----------------------------------------------
def Detect_forward_head(preds):
    """Class logits (B, A, nc) and DFL logits (B, A, 4 * reg_max) from a detector's raw output.

    Takes Detect's training output {'boxes': (B, 4*reg_max, A), 'scores': (B, nc, A), 'feats': [...]}, its eval
    output (decoded, that dict), or an end-to-end head's {'one2many': ..., 'one2one': ...}, of which the dense
    one-to-many branch is used. A spans all strides, in the head's level order.
    """
    if isinstance(preds, tuple):
        preds = preds[1]
    preds = preds.get("one2many", preds)
    return preds["scores"].transpose(1, 2), preds["boxes"].transpose(1, 2)


# --- ultralytics.nn.tasks.DetectionModel.model[-1] (the Detect head) ------------------------------------------------
def Detect_head(model):
    """The Detect head (last layer) of a detection model: it holds nc, reg_max and stride."""
    from ultralytics.nn.modules.head import Detect

    head = model.model[-1]
    if not isinstance(head, Detect):
        raise TypeError(f"{type(model).__name__} has no Detect head (last layer is {type(head).__name__})")
    return head


# --- ultralytics.utils.loss.v8DetectionLoss.get_assigned_targets_and_loss -------------------------------------------
def v8DetectionLoss_get_assigned_targets_and_loss(criterion, preds, batch):
    """Run a detection criterion and also return the positives its assigner chose, from one assignment.

    Returns (loss * batch size, loss items, foreground mask (B, A) bool), exactly what criterion(preds, batch)
    returns plus the mask. Criteria other than a plain v8DetectionLoss (E2ELoss, subclasses that override `loss`)
    run as they are and give no mask (None).
    """
    from ultralytics.utils.loss import v8DetectionLoss

    if not (isinstance(criterion, v8DetectionLoss) and type(criterion).loss is v8DetectionLoss.loss):
        return (*criterion(preds, batch), None)
    preds = criterion.parse_output(preds)
    (fg_mask, *_), loss, items = criterion.get_assigned_targets_and_loss(preds, batch)
    return loss * preds["boxes"].shape[0], items, fg_mask


# --- ultralytics.nn.tasks.BaseModel.loss (its `criterion`) ----------------------------------------------------------
def BaseModel_criterion(model, wrap):
    """Make model.loss() use wrap(model's default criterion); returns the installed criterion.

    BaseModel.loss builds `model.criterion` lazily and calls it as criterion(preds, batch) -> (loss, items).
    """
    model.criterion = wrap(model.init_criterion())
    return model.criterion


# --- ultralytics.engine.trainer.BaseTrainer._setup_train (its built-in `distill_model` branch) -----------------------
class BaseTrainer_setup_train:
    """Context manager: hide args.distill_model from BaseTrainer._setup_train so it does not wrap the student in
    ultralytics' feature-distillation model (and does not disable `compile`); restored on exit, also on error."""

    def __init__(self, trainer):
        self.args = trainer.args

    def __enter__(self):
        self.value, self.args.distill_model = self.args.distill_model, None
        return self

    def __exit__(self, *exc):
        self.args.distill_model = self.value
        return False


# --- ultralytics.nn.distill_model.DistillationModel.student_model --------------------------------------------------
def DistillationModel_student_model(model):
    """The student inside ultralytics' feature-distillation wrapper, or model itself when it is not wrapped."""
    return getattr(model, "student_model", model)
