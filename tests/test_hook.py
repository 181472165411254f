# sdgas-ultra, AGPL-3.0
"""The start-up hook (sdgas_ultra_hook.py + sdgas_ultra.pth) in a fresh virtual environment.

The environment is made the way an install lays the files out: the repository's hook and .pth in a new venv's
site-packages, then ultralytics' own site-packages chained after them. Every check runs in a new interpreter.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a virtual environment and starts several interpreters

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory):
    """Path of the python of a new venv whose site-packages holds the repository's start-up hook."""
    import ultralytics

    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(root), "platbase": str(root)}))
    shutil.copy(REPO / "sdgas_ultra_hook.py", purelib)
    shutil.copy(REPO / "sdgas_ultra.pth", purelib)
    deps = Path(ultralytics.__file__).resolve().parents[1]
    (purelib / "zz_deps.pth").write_text(f"{REPO}\nimport site; site.addsitedir({str(deps)!r})\n")
    return root / "bin" / "python"


def run(python, code, *args, **env):
    """Run code (or `-m module` when code is None) in python; returns the CompletedProcess (asserting success)."""
    cmd = [str(python), *(["-c", textwrap.dedent(code)] if code else []), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, **env})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def test_availability_probe_then_import_module_activates_and_leaves_no_trace(fresh_python):
    out = run(fresh_python, """
        import importlib, importlib.util, sys
        assert importlib.util.find_spec("ultralytics") is not None  # a library's is_available() check
        assert importlib.util.find_spec("ultralytics") is not None
        ultralytics = importlib.import_module("ultralytics")
        from ultralytics import YOLO
        print(type(YOLO("sdgasnet-n.yaml")).__name__, type(ultralytics.__loader__).__name__,
              any(type(f).__name__ == "_UltralyticsFinder" for f in sys.meta_path))
    """).stdout
    assert out.strip().splitlines()[-1].split() == ["SDGASModel", "SourceFileLoader", "False"]


def test_python_dash_m_module_activates(fresh_python, tmp_path):
    (tmp_path / "probe_main.py").write_text(
        "from ultralytics.nn import tasks\nprint(hasattr(tasks.parse_model, 'sdgas_original'))\n"
    )
    assert run(fresh_python, None, "-m", "probe_main", PYTHONPATH=str(tmp_path)).stdout.split() == ["True"]


def test_spawned_worker_activates(fresh_python, tmp_path):
    (tmp_path / "probe_worker.py").write_text(
        "def patched(_):\n"
        "    from ultralytics.nn import tasks\n"
        "    return hasattr(tasks.parse_model, 'sdgas_original')\n"
    )
    out = run(fresh_python, """
        import multiprocessing as mp
        import probe_worker
        if __name__ == "__main__":
            with mp.get_context("spawn").Pool(1) as pool:  # the parent never imports ultralytics
                print(pool.map(probe_worker.patched, [0]))
    """, PYTHONPATH=str(tmp_path)).stdout
    assert out.split() == ["[True]"]


def test_disable_leaves_ultralytics_stock_and_never_imports_the_plugin(fresh_python):
    out = run(fresh_python, """
        import sys
        from ultralytics import YOLO
        from ultralytics.cfg import entrypoint
        from ultralytics.nn import tasks
        from ultralytics.utils import DEFAULT_CFG_DICT
        YOLO("yolov8n.yaml")
        print("sdgas_ultra" in sys.modules, hasattr(tasks.parse_model, "sdgas_original"),
              hasattr(entrypoint, "sdgas_original"), any(k.startswith("sd_") for k in DEFAULT_CFG_DICT))
    """, SDGAS_ULTRA_DISABLE="1").stdout
    assert out.split() == ["False", "False", "False", "False"]
