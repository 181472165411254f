# sdgas-ultra, AGPL-3.0
"""Multi-GPU (DDP) training: the workers ultralytics launches must see the plugin, and SD-GASNet must train under DDP.

`yolo train device=0,1` makes ultralytics pickle the trainer class, its args, the model and the callbacks (cloudpickle)
and write a script that `python -m torch.distributed.run` runs once per GPU (ultralytics/utils/dist.py). Ultralytics
never launches DDP on CPU (world size 0), so without GPUs this file checks the pieces: the generated script in a
fresh interpreter (plugin activated by the start-up hook, SDGASTrainer rebuilt, one epoch trained), and SD-GASNet
itself under torch's DistributedDataParallel with ultralytics' settings on a 2-process gloo group. What this relies on
in upstream's launcher (no DDP on CPU, the text of the generated script) is pinned in test_upstream_pins.py.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import sdgas_ultra

sdgas_ultra.activate()

pytest.importorskip("cloudpickle", reason="ultralytics pickles DDP state with cloudpickle (pip install cloudpickle)")

from ultralytics.utils.dist import ddp_cleanup, find_free_network_port, generate_ddp_file  # noqa: E402

from sdgas_ultra._upstream import is_sdgasnet  # noqa: E402
from sdgas_ultra.distill.trainer import SDGASTrainer  # noqa: E402

pytestmark = pytest.mark.slow  # every test here trains or launches training


def sdgas_trainer(data, project, **overrides):
    """An SDGASTrainer holding its sdgasnet-n model, as Model.train has it just before trainer.train()."""
    args = dict(model="sdgasnet-n.yaml", data=str(data), epochs=1, imgsz=64, batch=4, workers=0, device="cpu")
    args.update(plots=False, val=False, project=str(project), name="ddp", exist_ok=True, **overrides)
    trainer = SDGASTrainer(overrides=args)
    trainer.model = trainer.get_model(cfg="sdgasnet-n.yaml", verbose=False)
    return trainer


@pytest.fixture
def ddp_file(tiny_data, tmp_path):
    """(trainer, path of the script ultralytics generates for DDP workers); both files removed afterwards."""
    trainer = sdgas_trainer(tiny_data, tmp_path, sd_T=3.0)
    file = generate_ddp_file(trainer)
    yield trainer, Path(file)
    ddp_cleanup(trainer, file)


@pytest.fixture
def teacher(tmp_path):
    """An untrained sdgasnet-n checkpoint that pairs with the tiny dataset (its 6 classes, 1 channel)."""
    from ultralytics.nn.tasks import DetectionModel

    from sdgas_ultra.data.synthetic import CLASSES

    model = DetectionModel("sdgasnet-n.yaml", ch=1, nc=len(CLASSES), verbose=False)
    model.names = dict(enumerate(CLASSES))
    torch.save({"model": model, "train_args": {}}, tmp_path / "teacher.pt")
    return tmp_path / "teacher.pt"


def run_ddp_script(file):
    """Run a generated DDP script as one worker would, minus the process group (device=cpu): `python script.py`."""
    done = subprocess.run([sys.executable, str(file)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "plugin not activated" not in done.stderr
    return done


def test_ddp_state_holds_sdgas_trainer_model_and_plugin_args(ddp_file):
    from ultralytics.utils.patches import torch_load

    state = torch_load(ddp_file[1].with_suffix(".pt"), map_location="cpu")
    assert state["trainer"] is SDGASTrainer  # pickled by reference: workers import sdgas_ultra.distill.trainer
    assert is_sdgasnet(state["model"])
    assert state["args"]["sd_T"] == 3.0


def test_ddp_script_trains_sdgasnet_in_a_fresh_interpreter(ddp_file):
    trainer, file = ddp_file
    run_ddp_script(file)
    save_dir = Path(trainer.args.save_dir)
    assert (save_dir / "results.csv").read_text().count("\n") == 2  # header + 1 epoch
    ckpt = torch.load(save_dir / "weights" / "last.pt", map_location="cpu", weights_only=False)
    assert is_sdgasnet(ckpt["model"]) and ckpt["train_args"]["sd_T"] == 3.0


def test_ddp_script_distils_from_the_teacher_it_loads_itself(tiny_data, tmp_path, teacher):
    trainer = sdgas_trainer(tiny_data, tmp_path, distill_model=str(teacher))
    file = generate_ddp_file(trainer)
    try:
        out = run_ddp_script(file)
    finally:
        ddp_cleanup(trainer, file)
    assert f"enhanced KL from '{teacher}'" in out.stdout + out.stderr
    header = (Path(trainer.args.save_dir) / "results.csv").read_text().splitlines()[0]
    assert "train/sd_cls_loss" in header and "train/sd_dfl_loss" in header


# One DDP training step of sdgasnet-n per rank, wrapped as BaseTrainer._setup_train wraps it for DDP.
GLOO_WORKER = """
import os, sys, torch, torch.distributed as dist
from ultralytics.cfg import get_cfg
from ultralytics.nn.tasks import DetectionModel

dist.init_process_group("gloo")
rank = dist.get_rank()
torch.manual_seed(0)
model = DetectionModel("sdgasnet-n.yaml", nc=6, verbose=False)
model.args = get_cfg()
ddp = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=True, broadcast_buffers=False)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
g = torch.Generator().manual_seed(rank)  # each rank its own batch
batch = {
    "img": torch.rand(2, 3, 64, 64, generator=g),
    "cls": torch.tensor([[1.0], [4.0]]),
    "bboxes": torch.tensor([[0.5, 0.5, 0.3, 0.2], [0.3, 0.6, 0.2, 0.4]]) + 0.05 * rank,
    "batch_idx": torch.tensor([0.0, 1.0]),
}
for _ in range(2):
    loss, _ = ddp(batch)
    opt.zero_grad()
    loss.sum().backward()
    opt.step()
flat = torch.cat([p.detach().flatten() for p in model.parameters()])
grads = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
both = [torch.zeros_like(flat) for _ in range(2)], [torch.zeros_like(grads) for _ in range(2)]
dist.all_gather(both[0], flat)
dist.all_gather(both[1], grads)
if rank == 0:
    print("PARAMS_EQUAL", torch.equal(*both[0]), "GRADS_EQUAL", torch.allclose(*both[1]))
    print("GRADS_NONZERO", bool(grads.abs().sum() > 0))
dist.barrier()  # both ranks done before gloo shuts down (its teardown can abort a rank still in flight)
dist.destroy_process_group()
sys.stdout.flush()
os._exit(0)  # skip interpreter teardown: gloo's threads can still abort a rank there ("terminate called ...")
"""


def test_sdgasnet_trains_under_two_process_gloo_ddp(tmp_path):
    script = tmp_path / "gloo_worker.py"
    script.write_text(textwrap.dedent(GLOO_WORKER))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    cmd += ["--master_port", str(find_free_network_port()), str(script)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "PARAMS_EQUAL True GRADS_EQUAL True\nGRADS_NONZERO True" in done.stdout
