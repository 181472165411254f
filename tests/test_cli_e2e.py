# sdgas-ultra, AGPL-3.0
"""The stock `yolo` CLI and plain `YOLO` use SD-GASNet with no import, as a new user runs them (subprocesses).

These need the package installed (`pip install .`), because activation comes from the start-up hook in site-packages.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sdgas_ultra.data.synthetic import generate
from user_env import user_env

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def run(args, cwd, env, timeout=600):
    """Run a command, returning its combined output; fail the test with that output on a non-zero exit."""
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"{' '.join(map(str, args))} exited {p.returncode}:\n{out[-4000:]}"
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """An empty working directory, a private ultralytics config dir, and a tiny grayscale synthetic dataset."""
    root = tmp_path_factory.mktemp("e2e")
    data = generate(root / "ds", n_train=8, n_val=4, seed=0, n_test=2)
    env = user_env(YOLO_OFFLINE="1", YOLO_CONFIG_DIR=str(root / "cfg"), PYTHONPATH="")
    cwd = root / "user"
    cwd.mkdir()
    return cwd, env, Path(data)


@pytest.fixture(scope="module")
def trained(workdir):
    cwd, env, data = workdir
    out = run([BIN / "yolo", "train", "model=sdgasnet-n.yaml", f"data={data}", "epochs=1", "imgsz=64", "batch=4",
               "workers=0", "plots=False"], cwd, env)
    best = cwd / "runs" / "detect" / "train" / "weights" / "best.pt"
    assert best.is_file(), out[-3000:]
    return best


def val_ground_truth(data):
    """(number of val images, boxes per class id) counted from the dataset's val label files."""
    labels = sorted((data.parent / "labels" / "val").glob("*.txt"))
    ids = [int(line.split()[0]) for f in labels for line in f.read_text().splitlines() if line.strip()]
    return len(list((data.parent / "images" / "val").iterdir())), [ids.count(c) for c in range(max(ids) + 1)]


def test_unrelated_python_imports_neither_torch_nor_ultralytics():
    code = ("import sys, json; "
            "print(json.dumps([m for m in ('torch', 'ultralytics', 'sdgas_ultra') if m in sys.modules]))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_yolo_train_writes_ultralytics_run_folder(trained):
    run_dir = trained.parent.parent
    assert (run_dir / "results.csv").is_file() and (run_dir / "args.yaml").is_file()
    assert "sdgasnet-n.yaml" in (run_dir / "args.yaml").read_text()


def test_yolo_val_on_trained_checkpoint(workdir, trained):
    cwd, env, data = workdir
    out = run([BIN / "yolo", "val", f"model={trained}", f"data={data}", "imgsz=64", "plots=False"], cwd, env)
    row = next(line.split() for line in out.splitlines() if line.split()[:1] == ["all"])  # all, images, boxes, P..
    images, classes = val_ground_truth(data)
    assert len(row) == 7 and (int(row[1]), int(row[2])) == (images, sum(classes))  # every val image and box scored


def test_yolo_predict_on_grayscale_image(workdir, trained):
    cwd, env, data = workdir
    image = next((data.parent / "images" / "val").iterdir())
    run([BIN / "yolo", "predict", f"model={trained}", f"source={image}", "imgsz=64", "save=True"], cwd, env)
    assert any((cwd / "runs" / "detect").glob("predict*/*"))


def test_plain_yolo_script_without_plugin_import_loads_best_pt(workdir, trained):
    cwd, env, data = workdir
    image = next((data.parent / "images" / "val").iterdir())
    script = cwd / "deploy.py"
    script.write_text(textwrap.dedent(f"""
        from ultralytics import YOLO
        model = YOLO({str(trained)!r})
        results = model.predict({str(image)!r}, imgsz=64, verbose=False)
        print("OK", type(model.model).__name__, model.model.yaml["channels"], len(results))
    """))
    assert "sdgas" not in script.read_text().replace(str(trained), "")
    out = run([sys.executable, script], cwd, env)
    assert "OK DetectionModel 1 1" in out  # grayscale model (channels: 1 dataset), one result


def test_python_api_trains_validates_and_predicts(workdir):
    from sdgas_ultra import SDGASModel

    cwd, env, data = workdir
    model = SDGASModel("sdgasnet-n.yaml")
    model.train(data=str(data), epochs=1, imgsz=64, batch=4, workers=0, plots=False, project=str(cwd / "api"),
                name="run", exist_ok=True)
    metrics = model.val(data=str(data), imgsz=64, plots=False, project=str(cwd / "api"), name="val")
    _, classes = val_ground_truth(data)
    assert metrics.nt_per_class.tolist()[: len(classes)] == classes and sum(metrics.nt_per_class) == sum(classes)
    image = next((data.parent / "images" / "val").iterdir())
    assert len(model.predict(str(image), imgsz=64, verbose=False)) == 1
