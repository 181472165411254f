# sdgas-ultra, AGPL-3.0
"""Specification of self-distillation in the ultralytics training loop (SDGASTrainer, pairing, pipeline, CLI).

One tiny YOLO-format dataset (64x64 images, 2 classes) and one 1-epoch yolov8n teacher serve the whole module.
Tests that train are marked slow.
The distillation adapters of ultralytics internals (sdgas_ultra/_upstream/distill.py) are covered in test_upstream.py.
"""

import os
import subprocess
import sys
import sysconfig
from copy import deepcopy
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from ultralytics import YOLO
from ultralytics.cfg import get_cfg
from ultralytics.nn import tasks
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import DEFAULT_CFG
from ultralytics.utils.loss import v8DetectionLoss
from ultralytics.utils.torch_utils import unwrap_model

import sdgas_ultra
from sdgas_ultra._upstream.distill import install_criterion, split_detect_output
from sdgas_ultra.distill.pairing import PairingError, check_pairing
from sdgas_ultra.distill.pipeline import self_distill
from sdgas_ultra.distill.trainer import LOSS_NAMES, SDGASTrainer, SelfDistillCriterion, load_teacher
from user_env import user_env

sdgas_ultra.activate()

REPO = Path(__file__).resolve().parents[1]
NAMES = ("scratch", "spot")
SD_COLUMNS = ("train/sd_cls_loss", "train/sd_dfl_loss")


def make_dataset(root, n_train=16, n_val=8, size=64, seed=0):
    """Write a YOLO dataset of light/dark rectangles on noise (class 0 light, 1 dark); returns the data YAML."""
    root, rng = Path(root), np.random.default_rng(seed)
    for split, n in (("train", n_train), ("val", n_val)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(n):
            img = (np.full((size, size, 3), 90) + rng.integers(0, 20, (size, size, 1))).astype(np.uint8)
            rows = []
            for _ in range(rng.integers(1, 3)):
                c = int(rng.integers(0, len(NAMES)))
                w, h = rng.integers(size // 6, size // 2, 2)
                x, y = rng.integers(0, size - w), rng.integers(0, size - h)
                cv2.rectangle(img, (int(x), int(y)), (int(x + w), int(y + h)), (220,) * 3 if c == 0 else (20,) * 3, -1)
                rows.append(f"{c} {(x + w / 2) / size:.5f} {(y + h / 2) / size:.5f} {w / size:.5f} {h / size:.5f}")
            cv2.imwrite(str(root / "images" / split / f"{i}.png"), img)
            (root / "labels" / split / f"{i}.txt").write_text("\n".join(rows) + "\n")
    names = "".join(f"  {i}: {n}\n" for i, n in enumerate(NAMES))
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n{names}")
    return root / "data.yaml"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def common(tmp_path_factory, project):
    """Training settings shared by every run: tiny, CPU, deterministic."""
    data = make_dataset(tmp_path_factory.mktemp("data") / "defects")
    return dict(
        data=str(data), epochs=1, imgsz=64, batch=8, workers=0, device="cpu", plots=False, seed=0,
        project=str(project), exist_ok=True, verbose=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def teacher(common):
    """best.pt of a 1-epoch yolov8n, the teacher of every distilled run (and the non-distilled reference)."""
    model = YOLO("yolov8n.yaml")
    model.train(name="teacher", **common)
    return Path(model.trainer.best)


@pytest.fixture(scope="module")
def distilled(common, teacher):
    """Trainer of a 1-epoch yolov8n student distilled from the teacher with the enhanced KL."""
    model = YOLO("yolov8n.yaml")
    model.train(trainer=SDGASTrainer, name="student", distill_model=str(teacher), **common)
    return model.trainer


def read_csv(path):
    header, *rows = Path(path).read_text().strip().splitlines()
    return [c.strip() for c in header.split(",")], [r.split(",") for r in rows]


# --- the loss terms in the training loop ----------------------------------------------------------------------------
@pytest.mark.slow
def test_results_csv_has_sd_columns_with_positive_values(distilled):
    header, rows = read_csv(distilled.csv)
    for col in SD_COLUMNS:
        assert col in header and float(rows[-1][header.index(col)]) > 0
    assert not any(c.startswith("val/sd_") for c in header)  # validation has no teacher
    assert distilled.loss_names[-2:] == LOSS_NAMES
    assert "sd_cls" in distilled.progress_string() and "sd_dfl" in distilled.progress_string()


@pytest.mark.slow
def test_distillation_criterion_is_installed_on_the_student(distilled):
    student = unwrap_model(distilled.model)
    assert isinstance(student.criterion, SelfDistillCriterion) and student.criterion is distilled.sd_criterion
    assert distilled.sd_criterion.teacher is distilled.teacher
    # 16 images at batch 8 make 2 batches in the one epoch: the last starts half-way, (0 + 1/2) / 1
    assert distilled.sd_criterion.progress == 0.5


# --- the teacher stays out of the student's training state -------------------------------------------------------
@pytest.mark.slow
def test_teacher_is_frozen_in_eval_mode_and_unchanged(distilled, teacher):
    t = distilled.teacher
    assert not t.training and not any(p.requires_grad for p in t.parameters())
    assert all(p.grad is None for p in t.parameters())  # gradients reached only the student
    fresh = load_teacher(teacher).state_dict()
    assert all(torch.equal(v, fresh[k]) for k, v in t.state_dict().items())


@pytest.mark.slow
def test_teacher_is_absent_from_the_optimizer(distilled):
    optimized = {id(p) for g in distilled.optimizer.param_groups for p in g["params"]}
    assert not optimized & {id(p) for p in distilled.teacher.parameters()}
    assert optimized == {id(p) for p in distilled.model.parameters()}


@pytest.mark.slow
def test_teacher_is_absent_from_the_ema(distilled):
    ema = distilled.ema.ema
    assert ema.state_dict().keys() == unwrap_model(distilled.model).state_dict().keys()
    teacher_tensors = {p.data_ptr() for p in distilled.teacher.state_dict().values()}
    assert not teacher_tensors & {v.data_ptr() for v in ema.state_dict().values()}
    assert not isinstance(getattr(ema, "criterion", None), SelfDistillCriterion)


@pytest.mark.slow
def test_a_copy_of_the_student_leaves_the_teacher_behind(distilled):
    copy = deepcopy(unwrap_model(distilled.model))  # what ModelEMA and save_model do
    assert type(copy.criterion) is v8DetectionLoss


@pytest.mark.slow
def test_checkpoint_holds_only_the_student(distilled, teacher):
    best = Path(distilled.best)
    ckpt = torch.load(best, map_location="cpu", weights_only=False)
    assert type(ckpt["model"]) is DetectionModel and ckpt.get("ema") is None  # final: optimizer and EMA stripped
    assert ckpt["model"].state_dict().keys() == DetectionModel("yolov8n.yaml", nc=2, verbose=False).state_dict().keys()
    assert b"sdgas_ultra" not in best.read_bytes()  # no plugin class pickled: stock YOLO can load it
    assert abs(best.stat().st_size - teacher.stat().st_size) < 0.02 * teacher.stat().st_size  # a plain yolov8n
    assert ckpt["train_args"]["distill_model"] == str(teacher)  # kept, so resume can rebuild the teacher


@pytest.mark.slow
def test_best_pt_loads_in_stock_yolo(distilled):
    """A Python without the plugin (-S: no site hooks, no PYTHONPATH) loads best.pt and predicts."""
    code = (
        f"import sys; sys.path.append({sysconfig.get_paths()['purelib']!r})\n"
        "import numpy as np\nfrom ultralytics import YOLO\n"
        f"r = YOLO({str(distilled.best)!r}).predict(np.zeros((64, 64, 3), np.uint8), imgsz=64, verbose=False)\n"
        "assert 'sdgas_ultra' not in sys.modules\nprint('ok', len(r))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0 and "ok 1" in out.stdout, out.stderr[-2000:]


# --- interfaces -------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_run_with_distill_model_writes_sd_columns(common, teacher, project):
    """`yolo train model=sdgasnet-n.yaml distill_model=... sd_T=3` (stock CLI entry point, plugin active)."""
    cli = "import sys, sdgas_ultra; sdgas_ultra.activate(); from ultralytics.cfg import entrypoint; entrypoint()"
    args = {**common, "model": "sdgasnet-n.yaml", "distill_model": str(teacher), "sd_T": 3.0, "name": "cli"}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-c", cli, "train", *(f"{k}={v}" for k, v in args.items())]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    header, rows = read_csv(project / "cli" / "results.csv")
    assert all(c in header for c in SD_COLUMNS) and len(rows) == 1
    assert "sd_T: 3.0" in (project / "cli" / "args.yaml").read_text()


@pytest.mark.slow
def test_sd_kl_false_falls_back_to_builtin_feature_distillation(common, teacher):
    model = YOLO("yolov8n.yaml")
    model.train(trainer=SDGASTrainer, name="feature-kd", distill_model=str(teacher), sd_kl=False, **common)
    header, _ = read_csv(model.trainer.csv)
    assert "train/dis_loss" in header and not any(c in header for c in SD_COLUMNS)
    assert model.trainer.teacher is None and model.trainer.sd_criterion is None


@pytest.mark.slow
def test_mismatched_teacher_fails_before_the_first_batch(common, tmp_path):
    coco = YOLO("yolov8n.yaml")  # 80 COCO classes, the dataset has 2
    coco.save(tmp_path / "coco-teacher.pt")
    student, batches = YOLO("yolov8n.yaml"), []
    student.add_callback("on_train_batch_start", lambda trainer: batches.append(1))
    with pytest.raises(PairingError, match=r"class count differs: teacher 80, student 2") as err:
        student.train(trainer=SDGASTrainer, name="mismatch", distill_model=str(tmp_path / "coco-teacher.pt"), **common)
    assert "class names differ" in str(err.value) and "coco-teacher.pt" in str(err.value)
    assert not batches


@pytest.mark.slow
def test_bad_sd_mode_fails_before_the_first_batch(common, teacher):
    student, batches = YOLO("yolov8n.yaml"), []
    student.add_callback("on_train_batch_start", lambda trainer: batches.append(1))
    with pytest.raises(ValueError, match=r"'sd_mode=v6' is invalid: 'sd_mode' must be 'enhanced' or 'yolov6'"):
        student.train(trainer=SDGASTrainer, name="bad-mode", distill_model=str(teacher), sd_mode="v6", **common)
    assert not batches and getattr(student.trainer, "train_loader", None) is None  # no data was loaded


@pytest.mark.slow
def test_resume_after_an_interrupt_rebuilds_the_teacher(common, teacher):
    class Interrupt(Exception):
        pass

    def interrupt(trainer):
        raise Interrupt

    model = YOLO("yolov8n.yaml")
    model.add_callback("on_fit_epoch_end", interrupt)  # after epoch 1 of 2 is saved to last.pt
    with pytest.raises(Interrupt):
        model.train(trainer=SDGASTrainer, name="resume", distill_model=str(teacher), **{**common, "epochs": 2})
    last = Path(model.trainer.last)

    resumed = YOLO(last)
    resumed.train(trainer=SDGASTrainer, resume=True)
    trainer = resumed.trainer
    assert trainer.start_epoch == 1 and trainer.teacher is not None and not trainer.teacher.training
    assert unwrap_model(trainer.model).criterion is trainer.sd_criterion
    header, rows = read_csv(trainer.csv)
    assert len(rows) == 2 and all(float(r[header.index(SD_COLUMNS[0])]) > 0 for r in rows)


@pytest.mark.slow
def test_self_distill_trains_the_teacher_then_the_student(common, project):
    metrics = sdgas_ultra.SDGASModel("yolov8n.yaml").train(self_distill=True, name="born-again", **common)
    teacher_best = project / "born-again-teacher" / "weights" / "best.pt"
    assert teacher_best.exists() and metrics is not None
    header, _ = read_csv(project / "born-again" / "results.csv")
    assert all(c in header for c in SD_COLUMNS)
    student_args = (project / "born-again" / "args.yaml").read_text()
    assert f"distill_model: {teacher_best}" in student_args and "\nseed: 1\n" in student_args  # its own seed
    assert "\nseed: 0\n" in (project / "born-again-teacher" / "args.yaml").read_text()
    with pytest.raises(ValueError, match="trains its own teacher"):
        self_distill(YOLO("yolov8n.yaml"), distill_model="t.pt", **common)


def run_user_process(cmd, cwd, timeout=900):
    """Run a command as a user would (no pytest environment, plugin from the start-up hook); returns its output."""
    env = user_env(YOLO_OFFLINE="1", PYTHONPATH="")
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-4000:]
    return text


def run_args(folder):
    return Path(folder, "args.yaml").read_text()


@pytest.mark.slow
def test_self_distill_runs_from_the_stock_cli_with_a_student_seed_of_its_own(tiny_data, tmp_path):
    """`yolo train model=sdgasnet-n.yaml ... self_distill=True` (the entry point passes model= along)."""
    yolo = Path(sys.executable).parent / "yolo"
    settings = [f"data={tiny_data}", "epochs=1", "imgsz=64", "batch=4", "workers=0", "plots=False", "seed=3"]
    cmd = [yolo, "train", "model=sdgasnet-n.yaml", *settings, f"project={tmp_path}", "name=sd", "self_distill=True"]
    out = run_user_process(cmd, tmp_path)
    assert "teacher 'sdgasnet-n.yaml' seed 3, then the student with seed 4" in out
    teacher, student = run_args(tmp_path / "sd-teacher"), run_args(tmp_path / "sd")
    assert "\nseed: 3\n" in teacher and "\nseed: 4\n" in student
    assert f"distill_model: {tmp_path / 'sd-teacher' / 'weights' / 'best.pt'}" in student
    assert "train/sd_cls_loss" in (tmp_path / "sd" / "results.csv").read_text()


@pytest.mark.slow
def test_self_distill_from_python_trains_a_larger_teacher_first(tiny_data, tmp_path):
    code = (
        "from sdgas_ultra import SDGASModel\n"
        f"SDGASModel('sdgasnet-n.yaml').train(data={str(tiny_data)!r}, epochs=1, imgsz=64, batch=4, workers=0, "
        f"plots=False, project={str(tmp_path)!r}, name='big', self_distill=True, sd_teacher='sdgasnet-s.yaml')\n"
    )
    out = run_user_process([sys.executable, "-c", code], tmp_path)
    assert "teacher 'sdgasnet-s.yaml' seed 0, then the student with seed 1" in out
    assert "model: sdgasnet-s.yaml" in run_args(tmp_path / "big-teacher")
    assert "model: sdgasnet-n.yaml" in run_args(tmp_path / "big")
    teacher, student = (tmp_path / d / "weights" / "best.pt" for d in ("big-teacher", "big"))
    assert teacher.stat().st_size > 2 * student.stat().st_size  # s has about 3x the parameters of n


def test_self_distill_checks_the_sd_keys_before_training_the_teacher(tmp_path):
    model = YOLO("yolov8n.yaml")
    with pytest.raises(ValueError, match="sd_fg must be one of"):
        self_distill(model, data="never-read.yaml", sd_fg="sometimes", project=str(tmp_path))
    assert model.trainer is None and not any(tmp_path.iterdir())  # nothing trained


def test_sd_teacher_without_self_distill_is_an_error():
    with pytest.raises(ValueError, match="sd_teacher='sdgasnet-s.yaml' is the teacher that self_distill=True trains"):
        sdgas_ultra.SDGASModel("yolov8n.yaml").train(data="x.yaml", sd_teacher="sdgasnet-s.yaml")


# --- the teacher's numerics -----------------------------------------------------------------------------------------
def test_teacher_runs_in_fp32_outside_the_trainers_autocast():
    """The trainer calls the loss inside autocast; the teacher's convolutions must still see and give fp32."""
    from sdgas_ultra.distill.kl import EnhancedKL

    student, teacher = detection_model().train(), detection_model("yolov8s.yaml").eval()
    batch = tiny_batch(student)
    seen = []
    for m in teacher.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(lambda mod, inp, out: seen.append((inp[0].dtype, out.dtype)))
    install_criterion(student, lambda base: SelfDistillCriterion(base, teacher, EnhancedKL()))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert scores_dtype(student(batch["img"])) == torch.bfloat16  # autocast is on for the student
        loss, items = student.loss(batch)
    assert seen and set(seen) == {(torch.float32, torch.float32)}
    assert torch.isfinite(loss).all() and items["sd_cls_loss"] > 0


def test_a_distilled_step_runs_the_student_forward_once():
    """No second student forward: the criterion reads the student's output of the training step itself."""
    from sdgas_ultra.distill.kl import EnhancedKL

    student, teacher = detection_model().train(), detection_model().eval()
    batch = tiny_batch(student)
    calls = {"student": 0, "teacher": 0}
    student.model[-1].register_forward_hook(lambda *a: calls.__setitem__("student", calls["student"] + 1))
    teacher.model[-1].register_forward_hook(lambda *a: calls.__setitem__("teacher", calls["teacher"] + 1))
    install_criterion(student, lambda base: SelfDistillCriterion(base, teacher, EnhancedKL()))
    student.loss(batch)
    assert calls == {"student": 1, "teacher": 1}


def scores_dtype(preds):
    return split_detect_output(preds)[0].dtype


def tiny_batch(model, bs=2, size=64):
    model.args = get_cfg(DEFAULT_CFG)
    return {
        "img": torch.rand(bs, 3, size, size),
        "batch_idx": torch.tensor([0.0, 1.0, 1.0]),
        "cls": torch.tensor([[0.0], [1.0], [0.0]]),
        "bboxes": torch.tensor([[0.5, 0.5, 0.4, 0.4], [0.3, 0.3, 0.2, 0.3], [0.7, 0.6, 0.3, 0.2]]),
    }


# --- pairing check --------------------------------------------------------------------------------------------------
def detection_model(yaml="yolov8n.yaml", nc=2, ch=3, **changes):
    d = {**tasks.yaml_model_load(yaml), **changes}
    model = DetectionModel(d, ch=ch, nc=nc, verbose=False)
    model.names = dict(enumerate(NAMES[:nc])) if nc <= len(NAMES) else {i: f"c{i}" for i in range(nc)}
    return model


def test_pairing_accepts_a_larger_teacher_of_another_scale():
    check_pairing(detection_model("yolov8s.yaml"), detection_model("yolov8n.yaml"))
    check_pairing(detection_model("yolo11n.yaml"), detection_model("yolov8n.yaml"))


@pytest.mark.parametrize(
    "teacher_kw, message",
    [
        (dict(reg_max=8), "reg_max (DFL bins per side) differs: teacher 8, student 16"),
        (dict(yaml="yolov8n-p2.yaml"), "strides differ: teacher [4, 8, 16, 32], student [8, 16, 32]"),
        (dict(ch=1), "input channels differ: teacher 1, student 3"),
        (dict(nc=3), "class count differs: teacher 3, student 2"),
    ],
)
def test_pairing_names_the_mismatch(teacher_kw, message):
    with pytest.raises(PairingError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        check_pairing(detection_model(**teacher_kw), detection_model(), teacher_name="'t.pt'")


def test_pairing_compares_class_names_with_the_students_dataset():
    with pytest.raises(PairingError, match="class names differ"):
        check_pairing(detection_model(), detection_model(), names={0: "crack", 1: "spot"})


# --- benchmarks.distill --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bench():
    """The distillation benchmark module."""
    from benchmarks import distill

    return distill


def test_benchmark_students_take_the_seed_after_their_teachers(bench):
    runs = bench.plan(bench.parse_args(["--seeds", "0", "1"]))
    plan = [(name, seed, teacher) for name, seed, _, _, teacher, _ in runs]
    t0, t1 = ("sdgasnet-n", 0), ("sdgasnet-n", 1)
    assert plan == [
        ("sdgasnet-n", 0, None),  # teacher of seed 0 ...
        ("sdgasnet-n", 1, None),  # ... then the students of seed 1; run (a) of seed 1 also teaches seed 2
        ("sdgasnet-n+featkd", 1, t0), ("sdgasnet-n+sd", 1, t0), ("sdgasnet-n+sd-yolov6", 1, t0),
        ("sdgasnet-n+2x-epochs", 1, None),  # compute-matched: the student alone for the teacher's + its epochs
        ("sdgasnet-n", 2, None),
        ("sdgasnet-n+featkd", 2, t1), ("sdgasnet-n+sd", 2, t1), ("sdgasnet-n+sd-yolov6", 2, t1),
        ("sdgasnet-n+2x-epochs", 2, None),
    ]  # fmt: skip


def test_benchmark_compute_matched_row_trains_twice_the_epochs(bench):
    args = bench.parse_args(["--seeds", "0", "--epochs", "7", "--rows", "e"])
    (teacher, student) = bench.plan(args)
    assert student[0] == "sdgasnet-n+2x-epochs" and student[-1] == "e" and bench.LONGER["e"] == 2


def test_benchmark_report_gives_paired_differences_with_student_t_intervals(bench):
    """(c) - (a) per seed: +2, +4, +6 points; mean +4, sample sd 2, t(0.975, 2) = 4.303: 4 -+ 4.303 * 2 / sqrt(3)."""
    args = bench.parse_args(["--seeds", "0", "1", "2"])
    rows = [{"model": "sdgasnet-n", "seed": s, "map50": 0.50, "step_ms": "100"} for s in (1, 2, 3)]
    rows += [{"model": "sdgasnet-n+sd", "seed": s, "map50": 0.50 + 0.02 * s, "step_ms": "130"} for s in (1, 2, 3)]
    text = bench.report(rows, args)
    assert "| (a) alone | 50.0 | 50.0 | 50.0 | 100 |" in text
    assert "| (c) − (a) | 3 | +4.0 [-1.0, +9.0] | – | +2.0 +4.0 +6.0 | +2.0 | 1.30x |" in text


def test_benchmark_takes_row_a_from_the_accuracy_benchmark_where_it_finished(bench, tmp_path, monkeypatch):
    from benchmarks.common import protocol
    from benchmarks.common.results import append_row, boot_path, read_boot, read_curves, read_rows

    store, acc_out = tmp_path / "accuracy-synthetic-defects-e40-i192.csv", tmp_path / "acc"
    settings = {"data": "synthetic-defects.yaml", "epochs": 40, "imgsz": 192, "batch": 16, "optimizer": "auto",
                "fraction": 1.0}
    for seed in (0, 1):  # both finished there, but only seed 0 still has its run folder
        append_row(boot_path(store), {"model": "sdgasnet-n", "seed": seed, "boot_map50": "0.5 0.6",
                                      "boot_map50_95": "0.3 0.4"})
        append_row(store, {"model": "sdgasnet-n", "seed": seed, **settings, "map50": 0.55, "test_map50": 0.5})
    acc_runs = acc_out / "synthetic-defects-e40-i192"  # the accuracy benchmark's folder of this protocol
    (acc_runs / "sdgasnet-n" / "seed0" / "weights").mkdir(parents=True)
    (acc_runs / "sdgasnet-n" / "seed0" / "weights" / "best.pt").write_bytes(b"weights")
    (acc_runs / "sdgasnet-n" / "seed0" / "results.csv").write_text("epoch,metrics/mAP50(B)\n1,0.2\n2,0.4\n")
    trained = []
    monkeypatch.setattr(protocol, "run_pending", lambda runs, results, out: trained.extend(r[:2] for r in runs))
    args = bench.parse_args(["--seeds", "0", "--rows", "a", "--out", str(tmp_path / "runs"),
                             "--results", str(tmp_path / "distill.csv"), "--from-accuracy", str(acc_out)])
    bench.run_all(args)
    assert trained == [("sdgasnet-n", 1)]  # no folder to teach from: trained here
    (row,) = read_rows(tmp_path / "distill.csv")
    assert (row["model"], row["seed"], row["test_map50"], row["teacher"], row["step_ms"]) == \
        ("sdgasnet-n", 0, 0.5, "", "")
    assert list(read_boot(tmp_path / "distill.csv")[("sdgasnet-n", 0)]["map50"]) == [0.5, 0.6]
    assert read_curves(tmp_path / "distill.csv")[("sdgasnet-n", 0)].tolist() == [0.2, 0.4]  # its curve comes along
    linked = tmp_path / "runs" / "synthetic-defects-e40-i192" / "sdgasnet-n" / "seed0"
    assert linked.is_symlink() and (linked / "weights" / "best.pt").read_bytes() == b"weights"
    trained.clear()
    bench.run_all(args)  # the copied row now marks seed 0 done: not copied twice (run_pending skips it by its row)
    assert len(read_rows(tmp_path / "distill.csv")) == 1 and trained == [("sdgasnet-n", 0), ("sdgasnet-n", 1)]


@pytest.mark.slow
def test_benchmark_runs_at_a_tiny_budget_and_resumes(bench, tiny_data, tmp_path, capsys):
    argv = ["--data", str(tiny_data), "--epochs", "1", "--imgsz", "64", "--batch", "4", "--seeds", "0",
            "--out", str(tmp_path / "runs"), "--results", str(tmp_path / "distill.csv")]  # fmt: skip
    bench.main(argv)
    from benchmarks.common.results import read_rows

    rows = read_rows(tmp_path / "distill.csv")
    runs = {(r["model"], r["seed"]): r for r in rows}
    assert set(runs) == {("sdgasnet-n", 0), ("sdgasnet-n", 1), ("sdgasnet-n+featkd", 1), ("sdgasnet-n+sd", 1),
                         ("sdgasnet-n+sd-yolov6", 1), ("sdgasnet-n+2x-epochs", 1)}  # fmt: skip
    assert runs[("sdgasnet-n+2x-epochs", 1)]["epochs"] == 2 and runs[("sdgasnet-n+sd", 1)]["test_map50"] is not None
    sd = runs[("sdgasnet-n+sd", 1)]
    assert sd["teacher"] == "sdgasnet-n seed 0" and float(sd["step_ms"]) > 0
    out = bench.parse_args(argv).out  # <--out>/<protocol>
    sd_args = run_args(out / "sdgasnet-n+sd-yolov6" / "seed1")
    assert "sd_mode: yolov6" in sd_args and "seed: 1\n" in sd_args
    assert "sd_kl: false" in run_args(out / "sdgasnet-n+featkd" / "seed1")
    capsys.readouterr()
    bench.main(argv)  # everything is done: nothing trains again
    out = capsys.readouterr().out
    assert out.count("finished earlier, skipped") == 6 and "training" not in out
    assert "(d) − (a) | 1 |" in out
