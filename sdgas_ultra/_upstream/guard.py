# sdgas-ultra, AGPL-3.0
"""Version guard: the supported ultralytics range, and every upstream internal and behaviour the plugin builds on.

`check_internals()` runs before any patch is applied, so a moved internal leaves ultralytics stock and raises one
ImportError naming all that moved. tests/test_compat.py covers each row and each behaviour.
"""

import re

SUPPORTED = ((8, 4, 177), (8, 5, 0))  # ultralytics versions: lowest supported, first unsupported

# Each row names an upstream object as "module:attribute.path" and its expected shape: a tuple lists a callable's
# leading parameters (in order), a set lists keys a dict must hold, a class is an isinstance check (`type`: must be a
# class, `object`: must exist). Every patch target in patches.PATCHES has a row (a test checks it).
INTERNALS = (
    ("ultralytics.utils:DEFAULT_CFG_DICT", {"model", "data", "distill_model"}),
    ("ultralytics.utils:DEFAULT_CFG", object),
    ("ultralytics.cfg:check_dict_alignment", ("base", "custom", "e", "allowed_custom_keys")),
    ("ultralytics.cfg:entrypoint", ("debug",)),
    ("ultralytics.utils.checks:check_file", ("file",)),
    ("ultralytics.utils.checks:check_yaml", ("file", "suffix", "hard")),
    ("ultralytics.data.utils:check_file", ("file",)),
    ("ultralytics.nn.tasks:yaml_model_load", ("path",)),
    ("ultralytics.engine.model:yaml_model_load", ("path",)),
    ("ultralytics.nn.tasks:parse_model", ("d", "ch", "verbose")),
    ("ultralytics.nn.tasks:Index", type),
    ("ultralytics.nn.tasks:torch_safe_load", ("weight",)),
    ("ultralytics.nn.tasks:BaseModel.load", ("self", "weights", "verbose")),
    ("ultralytics.nn.tasks:BaseModel.fuse", ("self", "verbose")),
    ("ultralytics.models.yolo.model:YOLO.__init__", ("self", "model", "task", "verbose")),
    ("ultralytics.utils.torch_utils:strip_optimizer", ("f", "s", "updates")),
    ("ultralytics.engine.trainer:strip_optimizer", ("f", "s", "updates")),
    ("ultralytics.models.yolo.model:YOLO.train", ("self", "trainer")),
    ("ultralytics.utils.export.openvino:torch2openvino", ("model", "im", "output_dir", "dynamic", "quantize")),
    ("ultralytics.utils.export.onnx:onnx_int8_quantize", ("onnx_file", "output_file", "dataset", "transform_fn")),
    # distillation adapters (distill.py) and the trainer
    ("ultralytics.nn.modules.head:Detect", type),
    ("ultralytics.utils.loss:v8DetectionLoss.loss", ("self", "preds", "batch")),
    ("ultralytics.utils.loss:v8DetectionLoss.parse_output", ("self", "preds")),
    ("ultralytics.utils.loss:v8DetectionLoss.get_assigned_targets_and_loss", ("self", "preds", "batch")),
    ("ultralytics.nn.tasks:BaseModel.init_criterion", ("self",)),
    ("ultralytics.engine.trainer:BaseTrainer._setup_train", ("self",)),
    ("ultralytics.engine.trainer:BaseTrainer.label_loss_items", ("self", "loss_items", "prefix")),
    ("ultralytics.utils.torch_utils:ModelEMA.__init__", ("self", "model")),
    ("ultralytics.nn.distill_model:DistillationModel", type),
    ("ultralytics.models.yolo.detect:DetectionTrainer.progress_string", ("self",)),
    # config.check_checkpoint: a missing teacher is left to upstream's download only if it is a release asset, online
    ("ultralytics.utils:ONLINE", object),
    ("ultralytics.utils.downloads:GITHUB_ASSETS_NAMES", object),
    # parser.build_stock_row reads the resolved arguments from upstream's summary lines on this logger
    ("ultralytics.utils:LOGGER", object),
)


def check_version(version=None):
    """Raise ImportError unless the installed ultralytics version is in SUPPORTED."""
    import ultralytics

    version = version or ultralytics.__version__
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:3])
    low, high = (".".join(map(str, v)) for v in SUPPORTED)
    if not SUPPORTED[0] <= parts < SUPPORTED[1]:
        raise ImportError(
            f"sdgas-ultra supports ultralytics>={low},<{high}, but ultralytics {version} is installed. "
            f"Run: pip install 'ultralytics>={low},<{high}'"
        )


def _resolve(where):
    """The object named 'module:attr.path'; raises ImportError or AttributeError."""
    import importlib

    module, _, attrs = where.partition(":")
    obj = importlib.import_module(module)
    for attr in attrs.split("."):
        obj = getattr(obj, attr)
    return obj


def _row_problem(where, shape):
    """What is wrong with one INTERNALS row on the installed ultralytics (str), or None."""
    import inspect

    name = where.replace(":", ".")
    try:
        obj = _resolve(where)
    except (ImportError, AttributeError):
        return f"{name}: missing"
    if isinstance(shape, tuple):
        try:
            params = tuple(inspect.signature(obj).parameters)
        except (TypeError, ValueError):
            params = None
        if params is None or params[: len(shape)] != shape:
            return f"{name}: expected parameters ({', '.join(shape)}, ...), found {params}"
    elif isinstance(shape, set):
        if not isinstance(obj, dict) or not shape <= obj.keys():
            return f"{name}: expected a dict with keys {sorted(shape)}"
    elif not (isinstance(obj, type) if shape is type else isinstance(obj, shape)):
        return f"{name}: expected a {shape.__name__}, found {type(obj).__name__}"
    return None


# --- behaviours: what the plugin relies on beyond names and signatures; each returns a problem (str) or None -------
def parse_model_index_rule():
    """parser.build_stock_row: an `Index` row outputs as many channels as its first argument, and `nn.BatchNorm2d`
    is sized to its input. Checked by parsing a two-row model with the original parser."""
    from ultralytics.nn import tasks

    parse = getattr(tasks.parse_model, "sdgas_original", tasks.parse_model)
    probe = {"backbone": [[-1, 1, "Index", [7, 0]], [-1, 1, "nn.BatchNorm2d", []]], "head": [], "nc": 1}
    try:
        channels = parse(probe, ch=3, verbose=False)[0][1].num_features
    except Exception as e:
        return f"ultralytics.nn.tasks.parse_model: cannot parse an Index row ({type(e).__name__}: {e})"
    if channels != 7:
        return "ultralytics.nn.tasks.parse_model: an Index row's output channels are no longer its first argument"
    return None


def parse_model_legacy_rule():
    """parser.LEGACY_OFF: each module listed there, as a row before a Detect row, makes ultralytics build Detect's
    YOLO11-style classification branch (with DWConvs), and C2f does not; this is how `legacy: false` in a model
    YAML is honoured."""
    from ultralytics.nn import tasks
    from ultralytics.nn.modules import DWConv

    from .parser import LEGACY_OFF

    parse = getattr(tasks.parse_model, "sdgas_original", tasks.parse_model)
    for m in (*LEGACY_OFF, "C2f"):
        rows = [[-1, 1, "Index", [16, 0]], [-1, 1, m, [64, False]], [[0], 1, "Detect", [2]]]  # A2C2f needs 64+
        try:
            head = parse({"backbone": rows, "head": [], "nc": 2}, ch=3, verbose=False)[0][2]
        except Exception as e:
            return f"ultralytics.nn.tasks.parse_model: cannot parse a {m} + Detect probe ({type(e).__name__}: {e})"
        if any(isinstance(x, DWConv) for x in head.cv3.modules()) != (m in LEGACY_OFF):
            change = "no longer gives" if m in LEGACY_OFF else "now gives"
            return f"ultralytics.nn.tasks.parse_model: a {m} row {change} Detect the light branch (parser.LEGACY_OFF)"
    return None


SCALE_PROBES = ((0.33, 0.25, 1024), (0.67, 0.75, 768), (1.0, 1.25, 512), (0.5, 0.5, 64))  # depth, width, max_channels


def parse_model_scaling_rule(scales=SCALE_PROBES):
    """scale.Scale (how plugin rows scale): at each (depth, width, max_channels) of `scales`, Conv rows get Scale.ch
    channels and C2f rows Scale.n repeats from ultralytics' parser. Checked by parsing one probe model per scale."""
    from ultralytics.nn import tasks

    from .scale import Scale

    parse = getattr(tasks.parse_model, "sdgas_original", tasks.parse_model)
    widths, repeats = (8, 20, 100, 256, 1000), (1, 2, 3, 6, 9)
    rows = [[-1, 1, "Index", [16, 0]]]
    rows += [r for c in widths for r in ([0, 1, "Conv", [c, 1]], [-1, 1, "nn.BatchNorm2d", []])]
    rows += [[0, n, "C2f", [8]] for n in repeats]
    for scale in scales:
        d = {"backbone": [list(r) for r in rows], "head": [], "nc": 1, "scales": {"p": list(scale)}, "scale": "p"}
        try:
            seq = parse(d, ch=3, verbose=False)[0]
        except Exception as e:
            return f"ultralytics.nn.tasks.parse_model: cannot parse the scaling probe ({type(e).__name__}: {e})"
        theirs = [seq[2 + 2 * i].num_features for i in range(len(widths))], [len(m.m) for m in seq[-len(repeats) :]]
        ours = [Scale(*scale).ch(c) for c in widths], [Scale(*scale).n(n) for n in repeats]
        if theirs != ours:
            return (
                f"ultralytics.nn.tasks.parse_model: at depth, width, max_channels {scale} channels of {widths} and "
                f"repeats of {repeats} are {theirs}, scale.Scale gives {ours}"
            )
    return None


def setup_train_reads_distill_model():
    """distill.hide_distill_model: BaseTrainer._setup_train wraps the student when args.distill_model is set,
    which is the branch the plugin hides; checked in its source."""
    import inspect

    from ultralytics.engine.trainer import BaseTrainer

    if "distill_model" not in inspect.getsource(BaseTrainer._setup_train):
        return "ultralytics.engine.trainer.BaseTrainer._setup_train: no longer reads args.distill_model"
    return None


def loss_keys_become_train_columns():
    """The trainer's sd_*_loss items reach results.csv: the trainer labels each key of the criterion's loss dict as
    'train/<key>' (BaseTrainer.label_loss_items over loss_names, which _do_train takes from that dict)."""
    import inspect
    from types import SimpleNamespace

    from ultralytics.engine.trainer import BaseTrainer

    fake = SimpleNamespace(loss_names=("box_loss", "sd_cls_loss"))
    labels = BaseTrainer.label_loss_items(fake, {"box_loss": 1.0, "sd_cls_loss": 0.5})
    names = BaseTrainer.label_loss_items(fake, prefix="train")
    if labels != {"train/box_loss": 1.0, "train/sd_cls_loss": 0.5} or names != list(labels):
        return "ultralytics.engine.trainer.BaseTrainer.label_loss_items: loss keys no longer become 'train/<key>'"
    if "tuple(self.loss_items)" not in inspect.getsource(BaseTrainer._do_train):
        return "ultralytics.engine.trainer.BaseTrainer._do_train: loss names no longer come from the loss dict"
    return None


def ema_deep_copies_the_model():
    """The teacher stays out of the EMA: ModelEMA builds its copy with copy.deepcopy, which copies the student's
    criterion through SelfDistillCriterion.__reduce_ex__ (the plain criterion, no teacher)."""
    import torch
    from ultralytics.utils.torch_utils import ModelEMA

    class Marker:
        def __reduce_ex__(self, protocol):
            return (str, ("copied",))

    model = torch.nn.Linear(1, 1)
    model.criterion = Marker()
    if ModelEMA(model).ema.criterion != "copied":
        return "ultralytics.utils.torch_utils.ModelEMA: the EMA is no longer a copy.deepcopy of the model"
    return None


def int8_quantizers_leave_the_patched_keyword_open():
    """patches.torch2openvino and patches.onnx_int8_quantize: upstream's INT8 exports call `nncf.quantize` and
    onnxruntime's `quantize_static` through their modules, without setting the keyword the patch supplies
    (`advanced_parameters`, `per_channel`); checked in their sources."""
    import inspect

    from ultralytics.utils.export import onnx, openvino

    for module, function, call, keyword in ((openvino, "torch2openvino", "nncf.quantize(", "advanced_parameters"),
                                            (onnx, "onnx_int8_quantize", "quantize_static(", "per_channel")):
        fn = getattr(module, function)
        source = inspect.getsource(getattr(fn, "sdgas_original", fn))
        name = f"{module.__name__}.{function}"
        if call not in source:
            return f"{name}: no longer calls {call[:-1]}"
        if keyword in source:
            return f"{name}: now sets {keyword} itself"
    return None


BEHAVIOURS = (
    parse_model_index_rule,
    parse_model_legacy_rule,
    parse_model_scaling_rule,
    setup_train_reads_distill_model,
    loss_keys_become_train_columns,
    ema_deep_copies_the_model,
    int8_quantizers_leave_the_patched_keyword_open,
)


def check_internals():
    """Raise one ImportError naming the ultralytics version and every INTERNALS row and behaviour that fails."""
    import ultralytics

    problems = [p for p in (_row_problem(w, s) for w, s in INTERNALS) if p]
    if not problems:  # behaviours call the internals above
        problems = [p for p in (check() for check in BEHAVIOURS) if p]
    if problems:
        low, high = (".".join(map(str, v)) for v in SUPPORTED)
        raise ImportError(
            f"sdgas-ultra cannot run on ultralytics {ultralytics.__version__}: internals it builds on have moved or "
            f"changed, so it refuses to activate rather than build wrong models.\n  - "
            + "\n  - ".join(problems)
            + f"\nInstall a supported version: pip install 'ultralytics>={low},<{high}'"
        )
