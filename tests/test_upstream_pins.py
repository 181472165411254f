# sdgas-ultra, AGPL-3.0
"""Upstream behaviour that plugin tests elsewhere rely on, pinned here so that .ci/compat.sh checks it per release.

- DDP (test_ddp.py): ultralytics never launches DDP on CPU, and the script it generates for the DDP workers imports
  ultralytics (so the start-up hook activates the plugin) before it unpickles the trainer state, with the launcher's
  sys.path.
"""

from pathlib import Path

import pytest

import sdgas_ultra
from sdgas_ultra.distill.trainer import SDGASTrainer

sdgas_ultra.activate()
pytestmark = pytest.mark.upstream


@pytest.fixture
def trainer(tiny_data, tmp_path):
    """An SDGASTrainer holding its sdgasnet-n model on CPU, as Model.train has it just before trainer.train()."""
    args = dict(model="sdgasnet-n.yaml", data=str(tiny_data), epochs=1, imgsz=64, batch=4, workers=0, device="cpu")
    trainer = SDGASTrainer(overrides=dict(args, plots=False, val=False, project=str(tmp_path), name="ddp"))
    trainer.model = trainer.get_model(cfg="sdgasnet-n.yaml", verbose=False)
    return trainer


def test_ultralytics_never_launches_ddp_on_cpu(trainer):
    assert trainer.world_size == 0 and trainer.ddp is False


def test_ddp_script_imports_ultralytics_before_unpickling_the_state(trainer):
    pytest.importorskip("cloudpickle", reason="ultralytics pickles DDP state with cloudpickle")
    from ultralytics.utils.dist import ddp_cleanup, generate_ddp_file

    file = generate_ddp_file(trainer)
    try:
        script = Path(file).read_text()
    finally:
        ddp_cleanup(trainer, file)
    # importing ultralytics runs the start-up hook, so the plugin is active before its classes are unpickled
    assert script.index("from ultralytics") < script.index("torch_load(")
    assert "sys.path = " in script  # the workers import sdgas_ultra from wherever the launcher did
