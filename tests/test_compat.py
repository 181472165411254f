# sdgas-ultra, AGPL-3.0
"""Compatibility guard: an unsupported ultralytics, or one whose internals moved, is refused with one clear error.

The plugin patches ultralytics internals (see sdgas_ultra/_upstream.py); on a version where they moved it must refuse
to activate, naming the installed version, what moved and the supported range, rather than build wrong models.
"""

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ultralytics.data import utils as data_utils
from ultralytics.nn import tasks
from ultralytics.utils import DEFAULT_CFG_DICT

import sdgas_ultra
from sdgas_ultra import _upstream
from sdgas_ultra._upstream import INTERNALS, SUPPORTED, check_internals, check_version

sdgas_ultra.activate()
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


def test_every_touch_in_upstream_has_an_internals_row():
    touched = {w.partition(":")[2].split(".")[-1] for w, _ in INTERNALS}
    for name in ("DEFAULT_CFG_DICT", "check_file", "yaml_model_load", "parse_model", "torch_safe_load"):
        assert name in touched and callable(getattr(_upstream, name))


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


def test_all_moved_internals_are_reported_in_one_error(monkeypatch):
    monkeypatch.delattr(tasks, "Index")
    monkeypatch.delattr(tasks, "torch_safe_load")
    msg = internals_error()
    assert "tasks.Index: missing" in msg and "tasks.torch_safe_load: missing" in msg


def test_activate_refuses_before_patching_anything(monkeypatch):
    monkeypatch.setattr(_upstream, "_active", False)
    monkeypatch.delattr(tasks, "Index")
    before = tasks.parse_model, tasks.yaml_model_load, data_utils.check_file
    with pytest.raises(ImportError, match="tasks.Index: missing"):
        _upstream.activate()
    assert (tasks.parse_model, tasks.yaml_model_load, data_utils.check_file) == before
    assert _upstream._active is False


def test_wrapped_functions_keep_the_upstream_signature():
    assert tuple(inspect.signature(tasks.parse_model).parameters) == ("d", "ch", "verbose")
    assert hasattr(tasks.parse_model, "sdgas_original")  # the probe parses with the original, not the wrapper


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
        "import sdgas_ultra._upstream as u\n"
        "u.SUPPORTED = ((99, 0, 0), (99, 1, 0))\n"
        "import ultralytics\n"
        "from ultralytics.nn import tasks\n"
        "print('patched' if hasattr(tasks.parse_model, 'sdgas_original') else 'unpatched')\n"
    )
    r = run_python(code)
    assert r.stdout.strip() == "unpatched"
    assert "sdgas-ultra plugin not activated: sdgas-ultra supports ultralytics>=99.0.0,<99.1.0" in r.stderr
