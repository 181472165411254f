# sdgas-ultra, AGPL-3.0
"""Compatibility guard: an unsupported ultralytics, or one whose internals moved, is refused with one clear error.

The plugin patches ultralytics internals (see sdgas_ultra/_upstream/); on a version where they moved it must refuse
to activate, naming the installed version, what moved and the supported range, rather than build wrong models.
"""

import inspect
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ultralytics.data import utils as data_utils
from ultralytics.nn import tasks
from ultralytics.utils import DEFAULT_CFG_DICT

import sdgas_ultra
from sdgas_ultra._upstream import BEHAVIOURS, INTERNALS, PATCHES, SUPPORTED, check_internals, check_version
from sdgas_ultra._upstream import patches as patches_module

sdgas_ultra.activate()
pytestmark = pytest.mark.upstream  # the guard, checked against the installed ultralytics (.ci/compat.sh)
LOW, HIGH = (".".join(map(str, v)) for v in SUPPORTED)


def internals_error():
    with pytest.raises(ImportError) as e:
        check_internals()
    return str(e.value)


def test_supported_range_is_the_one_pyproject_declares():
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    low, high = re.search(r'"ultralytics>=([\d.]+),<([\d.]+)"', pyproject).groups()
    version = lambda v: tuple(int(x) for x in (v.split(".") + ["0", "0"])[:3])  # noqa: E731
    assert (version(low), version(high)) == SUPPORTED


def test_lowest_supported_version_is_accepted():
    check_version(LOW)


def test_patch_release_inside_the_range_is_accepted():
    check_version(f"{LOW}.post1")


@pytest.mark.parametrize("version", ["8.3.253", "8.4.0", "8.5.0", "9.0.0", f"{HIGH}rc1"])
def test_version_outside_the_range_is_refused_naming_both(version):
    with pytest.raises(ImportError) as e:
        check_version(version)
    assert f"ultralytics {version} is installed" in str(e.value)
    assert f"ultralytics>={LOW},<{HIGH}" in str(e.value)


def test_installed_ultralytics_has_every_internal_the_plugin_touches():
    check_internals()


def test_every_patch_target_has_an_internals_row():
    rows = {where for where, _ in INTERNALS}
    for p in PATCHES:
        assert set(p.targets) <= rows, f"{p.name}: add {set(p.targets) - rows} to guard.INTERNALS"


def test_registry_holds_exactly_the_upstream_functions_the_plugin_wraps_in_activation_order():
    # written out by hand, not read back from patches.py: a patch added, lost or reordered fails here
    assert [p.name for p in PATCHES] == [
        "check_dict_alignment", "entrypoint", "check_file", "yaml_model_load", "parse_model", "torch_safe_load",
        "BaseModel_load", "BaseModel_fuse", "strip_optimizer", "YOLO_init", "YOLO_train", "torch2openvino",
        "onnx_int8_quantize",
    ]  # fmt: skip


@pytest.mark.parametrize("p", PATCHES, ids=lambda p: p.name)
def test_each_patch_is_installed_at_every_target_and_keeps_the_original(p):
    installed = [patches_module._split(t) for t in p.targets]
    values = [getattr(owner, attr) for owner, attr in installed]
    assert all(v is values[0] for v in values)  # one replacement, also where upstream imported a copy by name
    original = values[0].sdgas_original
    assert callable(original) and not hasattr(original, "sdgas_original")
    assert inspect.signature(values[0]) == inspect.signature(original)  # callers see upstream's signature


@pytest.mark.parametrize("check", BEHAVIOURS, ids=lambda c: c.__name__)
def test_installed_ultralytics_has_each_behaviour_the_plugin_relies_on(check):
    assert check() is None


def test_missing_internal_is_named_with_version_and_range(monkeypatch):
    import ultralytics

    monkeypatch.delattr(tasks, "Index")
    msg = internals_error()
    assert f"ultralytics {ultralytics.__version__}" in msg
    assert "ultralytics.nn.tasks.Index: missing" in msg
    assert f"pip install 'ultralytics>={LOW},<{HIGH}'" in msg


def test_changed_signature_is_named(monkeypatch):
    def parse_model(cfg, ch, verbose=True):  # a renamed first parameter breaks the wrapper's positional call
        raise AssertionError("must not be called")

    monkeypatch.setattr(tasks, "parse_model", parse_model)
    msg = internals_error()
    assert "ultralytics.nn.tasks.parse_model: expected parameters (d, ch, verbose, ...)" in msg
    assert "('cfg', 'ch', 'verbose')" in msg


def test_missing_default_config_key_is_named(monkeypatch):
    monkeypatch.delitem(DEFAULT_CFG_DICT, "distill_model")
    assert "ultralytics.utils.DEFAULT_CFG_DICT: expected a dict with keys" in internals_error()


def test_function_turned_into_a_non_callable_is_named(monkeypatch):
    monkeypatch.setattr(data_utils, "check_file", None)
    assert "ultralytics.data.utils.check_file: expected parameters (file, ...)" in internals_error()


def test_changed_index_channel_rule_is_found_by_parsing(monkeypatch):
    original = tasks.parse_model.sdgas_original

    def parse_model(d, ch, verbose=True):  # an upstream whose Index keeps its input's channels
        rows = [[f, n, "nn.Identity", []] if m == "Index" else [f, n, m, a] for f, n, m, a in d["backbone"]]
        return original({**d, "backbone": rows}, ch, verbose)

    monkeypatch.setattr(tasks, "parse_model", parse_model)
    assert "an Index row's output channels are no longer its first argument" in internals_error()


def test_changed_scaling_rule_is_found_by_parsing(monkeypatch):
    monkeypatch.setattr(tasks, "make_divisible", lambda x, d: math.ceil(x / 16) * 16)  # an upstream rounding to 16
    assert "repeats of (1, 2, 3, 6, 9) are" in internals_error()


@pytest.mark.parametrize("added", ["C3", "C2f"])
def test_each_legacy_off_module_is_probed(monkeypatch, added):
    """A module in parser.LEGACY_OFF that does not give Detect the light branch upstream is named."""
    from sdgas_ultra._upstream import parser

    monkeypatch.setattr(parser, "LEGACY_OFF", (*parser.LEGACY_OFF, added))
    assert f"a {added} row no longer gives Detect the light branch" in internals_error()


def test_a_legacy_off_module_upstream_no_longer_flips_is_named(monkeypatch):
    original = tasks.parse_model.sdgas_original

    def parse_model(d, ch, verbose=True):  # an upstream whose C2fCIB builds like C2f, keeping the legacy head
        rows = [[f, n, "C2f" if m == "C2fCIB" else m, a] for f, n, m, a in d["backbone"]]
        return original({**d, "backbone": rows}, ch, verbose)

    monkeypatch.setattr(tasks, "parse_model", parse_model)
    assert "a C2fCIB row no longer gives Detect the light branch" in internals_error()


def test_all_moved_internals_are_reported_in_one_error(monkeypatch):
    monkeypatch.delattr(tasks, "Index")
    monkeypatch.delattr(tasks, "torch_safe_load")
    msg = internals_error()
    assert "tasks.Index: missing" in msg and "tasks.torch_safe_load: missing" in msg


def test_activate_refuses_before_patching_anything(monkeypatch):
    monkeypatch.setitem(patches_module._state, "active", False)
    monkeypatch.delattr(tasks, "Index")
    before = tasks.parse_model, tasks.yaml_model_load, data_utils.check_file
    with pytest.raises(ImportError, match="tasks.Index: missing"):
        sdgas_ultra.activate()
    assert (tasks.parse_model, tasks.yaml_model_load, data_utils.check_file) == before
    assert patches_module._state["active"] is False


def stock_state():
    """Every patch target's current value (the class's own __dict__ entry for methods, None when inherited)."""
    return {t: vars(owner).get(attr) for p in PATCHES for t in p.targets for owner, attr in [patches_module._split(t)]}


def test_activate_is_all_or_nothing_when_a_patch_fails_midway(monkeypatch):
    """Fresh, unpatched ultralytics (the originals put back), a failing patch after the first four: nothing stays."""
    patched = stock_state()
    for owner, attr in (patches_module._split(t) for p in PATCHES for t in p.targets):
        original = getattr(owner, attr).sdgas_original
        if isinstance(owner, type) and getattr(super(owner, owner), attr, None) is original:
            monkeypatch.delattr(owner, attr)  # YOLO.train is Model.train, inherited
        else:
            monkeypatch.setattr(owner, attr, original)
    stock = stock_state()

    def broken(original):
        raise RuntimeError("patch failed")

    failing = patches_module.Patch("broken", PATCHES[4].targets[:1], broken)  # a target not yet patched
    monkeypatch.setattr(patches_module, "PATCHES", PATCHES[:4] + [failing] + PATCHES[4:])
    monkeypatch.setitem(patches_module._state, "active", False)
    with pytest.raises(RuntimeError, match="patch failed"):
        sdgas_ultra.activate()
    assert stock_state() == stock and patches_module._state["active"] is False
    assert stock != patched


def test_activate_twice_wraps_nothing_again(monkeypatch):
    before = stock_state()
    sdgas_ultra.activate()
    monkeypatch.setitem(patches_module._state, "active", False)  # as if a second copy of the seam were imported
    sdgas_ultra.activate()
    assert stock_state() == before


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_importing_the_plugin_on_an_unsupported_version_raises_one_clear_error():
    # the start-up hook is taken out so that the version can be faked before the plugin activates
    code = (
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_UltralyticsFinder']\n"
        "import ultralytics\n"
        "ultralytics.__version__ = '8.5.2'\n"
        "try:\n"
        "    from sdgas_ultra import SDGASModel\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
    )
    out = run_python(code).stdout
    assert f"ImportError: sdgas-ultra supports ultralytics>={LOW},<{HIGH}, but ultralytics 8.5.2 is installed" in out


def test_start_up_hook_warns_and_leaves_plain_ultralytics_usable():
    code = (
        "import sdgas_ultra._upstream.guard as u\n"
        "u.SUPPORTED = ((99, 0, 0), (99, 1, 0))\n"
        "import ultralytics\n"
        "from ultralytics.nn import tasks\n"
        "print('patched' if hasattr(tasks.parse_model, 'sdgas_original') else 'unpatched')\n"
    )
    r = run_python(code)
    assert r.stdout.strip() == "unpatched"
    assert "sdgas-ultra plugin not activated: sdgas-ultra supports ultralytics>=99.0.0,<99.1.0" in r.stderr


def test_moved_setup_train_distill_branch_is_named(monkeypatch):
    from ultralytics.engine.trainer import BaseTrainer

    monkeypatch.setattr(BaseTrainer, "_setup_train", lambda self: None)  # an upstream without the branch we hide
    assert "_setup_train: no longer reads args.distill_model" in internals_error()


def test_loss_keys_no_longer_becoming_train_columns_is_named(monkeypatch):
    from ultralytics.engine.trainer import BaseTrainer

    def label_loss_items(self, loss_items=None, prefix="train"):  # an upstream that numbers the columns
        names = [f"{prefix}/loss{i}" for i in range(len(self.loss_names))]
        return names if loss_items is None else dict(zip(names, loss_items.values()))

    monkeypatch.setattr(BaseTrainer, "label_loss_items", label_loss_items)
    assert "loss keys no longer become 'train/<key>'" in internals_error()


def test_ema_that_no_longer_deep_copies_is_named(monkeypatch):
    from ultralytics.utils import torch_utils

    original = torch_utils.ModelEMA.__init__

    def shallow(self, model, decay=0.9999, tau=2000, updates=0):  # an EMA that shares the criterion object
        original(self, model, decay, tau, updates)
        self.ema.criterion = model.criterion

    monkeypatch.setattr(torch_utils.ModelEMA, "__init__", shallow)
    assert "the EMA is no longer a copy.deepcopy of the model" in internals_error()


# --- layering: each part of sdgas_ultra imports only the parts below it ----------------------------------------------
PACKAGE = Path(sdgas_ultra.__file__).parent
# part -> the other parts it may import; base/ (the plugin's errors and paths) is the bottom, the seam _upstream/
# adapts to ultralytics, and model.py and cli.py on top may import anything
BELOW = {
    "base": (),
    "defaults": ("base",),
    "nn": ("base",),
    "_upstream": ("base", "defaults", "nn"),
    "data": ("base",),
    "explain": ("base", "data", "nn"),
    "tiled": ("base", "data"),
    "distill": ("base", "defaults", "_upstream", "__init__"),  # __init__: activate()
}


def part_of(module):
    """Part of sdgas_ultra that dotted module is in: 'sdgas_ultra.data.stats' -> 'data', 'sdgas_ultra' -> '__init__'."""
    return module.split(".")[1] if "." in module else "__init__"


def is_module(dotted):
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def plugin_imports(path):
    """(module, names) for each import of sdgas_ultra in file path, relative ones made absolute; `from . import x` of a
    submodule x gives ('<package>.x', [])."""
    import ast

    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]  # sdgas_ultra/data/stats.py: sdgas_ultra.data
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from ((a.name, []) for a in node.names if a.name.partition(".")[0] == "sdgas_ultra")
        elif isinstance(node, ast.ImportFrom):
            start = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join((*start, *(node.module or "").split("."))).strip(".")
            if module.partition(".")[0] == "sdgas_ultra":
                names = [a.name for a in node.names]
                yield from ((f"{module}.{n}", []) for n in names if is_module(f"{module}.{n}"))
                yield module, [n for n in names if not is_module(f"{module}.{n}")]


def files_of(part):
    return sorted((PACKAGE / part).rglob("*.py")) if (PACKAGE / part).is_dir() else [PACKAGE / f"{part}.py"]


@pytest.mark.parametrize("part", BELOW)
def test_each_part_imports_nothing_of_the_plugin_above_it(part):
    """One-way dependency: a part imports itself and the parts listed below it, never model, cli or one above it."""
    for path in files_of(part):
        for module, _ in plugin_imports(path):
            target = part_of(module)
            assert target == part or target in BELOW[part], f"{path.relative_to(PACKAGE)} imports {module}"


def test_the_bottom_layer_imports_no_ultralytics():
    """base/ (the plugin's errors and paths) works without ultralytics: every part, the seam included, can import it."""
    import ast

    for path in files_of("base"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not any(n.partition(".")[0] == "ultralytics" for n in names), f"{path.name} imports {names}"


def test_errors_and_paths_are_imported_from_the_bottom_layer_not_the_seam():
    """What the seam imports from base/ (error types, CFG_DIR, plugin_file, ...) is never taken from the seam."""
    import ast

    ours = set()
    for path in files_of("base"):
        for node in ast.parse(path.read_text()).body:
            targets = node.targets if isinstance(node, ast.Assign) else [node]
            ours |= {getattr(t, "id", getattr(t, "name", "")) for t in targets} - {""}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] in ("base", "_upstream"):
            continue
        for module, names in plugin_imports(path):
            if part_of(module) == "_upstream":
                assert not ours & set(names), f"{path.relative_to(PACKAGE)} imports {ours & set(names)} from {module}"


def test_openvino_int8_that_no_longer_calls_nncf_quantize_is_named(monkeypatch):
    from ultralytics.utils.export import openvino

    def torch2openvino(model, im, output_dir=None, dynamic=False, quantize=None):  # an upstream quantizing otherwise
        return None

    monkeypatch.setattr(openvino, "torch2openvino", torch2openvino)
    assert "openvino.torch2openvino: no longer calls nncf.quantize" in internals_error()


def test_onnx_int8_that_sets_per_channel_itself_is_named(monkeypatch):
    from ultralytics.utils.export import onnx

    def onnx_int8_quantize(onnx_file, output_file, dataset, transform_fn):  # an upstream choosing the setting itself
        from onnxruntime.quantization import quantize_static

        return quantize_static(onnx_file, output_file, dataset, per_channel=False)

    monkeypatch.setattr(onnx, "onnx_int8_quantize", onnx_int8_quantize)
    assert "onnx.onnx_int8_quantize: now sets per_channel itself" in internals_error()
