# sdgas-ultra, AGPL-3.0
"""Test session set-up: offline ultralytics with a throw-away settings directory (set before any import of it),
the two tiers, and the tiny synthetic dataset that the training tests share.

Tiers: the plugin's own behaviour (the default) and the `upstream` tier, tests that pin ultralytics' or CPython's own
behaviour or texts, which .ci/compat.sh runs against each supported ultralytics release. An upstream test runs only
when the -m expression names the marker: `pytest -m "not slow"` is the fast plugin tier, `pytest -m upstream` the
upstream tier, `pytest -m "upstream or not upstream"` both. A test file or test named on the command line always
runs."""

import os
import tempfile

os.environ["YOLO_OFFLINE"] = "1"
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="sdgas-yolo-cfg-"))
os.environ["YOLO_AUTOINSTALL"] = "false"


import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Leave out the upstream tier unless the -m expression names it or the command line names test files."""
    named = any(arg.partition("::")[0].endswith(".py") for arg in config.args)
    if named or "upstream" in (config.getoption("markexpr") or ""):
        return
    upstream = [item for item in items if item.get_closest_marker("upstream")]
    if upstream:
        config.hook.pytest_deselected(items=upstream)
        items[:] = [item for item in items if not item.get_closest_marker("upstream")]


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """data.yaml of 8 train / 4 val synthetic-defects images (drawn at 128 px; training resizes them to 64)."""
    from sdgas_ultra.data.synthetic import generate

    return generate(tmp_path_factory.getbasetemp() / "synthetic-8-4", n_train=8, n_val=4, seed=0, imgsz=128, n_test=2)


@pytest.fixture
def no_finished_run():
    """Checker: assert that a failed run left nothing under a folder that looks finished (a checkpoint, results.csv)."""
    from pathlib import Path

    def check(run_dir):
        leftovers = [p for p in Path(run_dir).rglob("*") if p.suffix == ".pt" or p.name == "results.csv"]
        assert not leftovers, f"a failed run left {leftovers}"

    return check
