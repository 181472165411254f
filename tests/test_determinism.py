# sdgas-ultra, AGPL-3.0
"""Determinism: on CPU, the same seed with deterministic=True gives the same first epoch, batch for batch."""

import pytest
import torch
from ultralytics import YOLO

import sdgas_ultra

sdgas_ultra.activate()

pytestmark = pytest.mark.slow  # every test here trains


def loss_vector(items):
    """A batch's loss items as one tensor: ultralytics gives {name: value} (a tensor before 8.4.1xx)."""
    return torch.stack(list(items.values())) if isinstance(items, dict) else items.detach().clone()


def first_epoch(data, project, seed):
    """Per-batch loss items (box, cls, dfl) of one epoch of sdgasnet-n, and the trained EMA weights."""
    losses = []
    model = YOLO("sdgasnet-n.yaml")
    model.add_callback("on_train_batch_end", lambda t: losses.append(loss_vector(t.loss_items)))
    model.train(
        data=data, epochs=1, imgsz=64, batch=4, workers=0, device="cpu", plots=False, val=False,
        seed=seed, deterministic=True, project=str(project), name=f"seed{seed}",
    )
    return torch.stack(losses), model.trainer.ema.ema.state_dict()


@pytest.fixture(scope="module")
def twice_seed_0(tiny_data, tmp_path_factory):
    return [first_epoch(tiny_data, tmp_path_factory.mktemp("det"), seed=0) for _ in range(2)]


def test_same_seed_gives_identical_first_epoch_losses(twice_seed_0):
    (a, _), (b, _) = twice_seed_0
    assert a.shape == (2, 3)  # 8 images / batch 4; box, cls, dfl
    assert torch.equal(a, b)


def test_same_seed_gives_identical_weights_after_one_epoch(twice_seed_0):
    (_, wa), (_, wb) = twice_seed_0
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_another_seed_gives_other_losses(twice_seed_0, tiny_data, tmp_path):
    (a, _), _ = twice_seed_0
    c, _ = first_epoch(tiny_data, tmp_path, seed=1)
    assert not torch.equal(a, c)
