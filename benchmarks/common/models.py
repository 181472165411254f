# sdgas-ultra, AGPL-3.0
"""The model builder of the latency benchmarks: a model from its YAML name with a given number of classes, random
weights (latency does not depend on them; no weights are downloaded)."""


def build_yolo(name, nc):
    """YOLO wrapper of `name` ("sdgasnet-n", "yolov8n.yaml" or a YAML path) with an nc-class head, ready for
    .export(); its model is rebuilt only when the YAML's nc differs (SD-GASNet's YAMLs say 6, stock ones 80)."""
    import sdgas_ultra
    from ultralytics import YOLO

    sdgas_ultra.activate()  # the start-up hook does this when installed; explicit for a source checkout
    yolo = YOLO(name if name.endswith(".yaml") else f"{name}.yaml")
    net = yolo.model
    if net.yaml["nc"] != nc:
        yolo.model = type(net)({**net.yaml, "nc": nc}, nc=nc, verbose=False)
        yolo.model.args, yolo.model.task = net.args, net.task
    return yolo


def build(name, nc, device="cpu", calibrate=None):
    """Fused eval-mode FP32 DetectionModel of `name` on device. With calibrate (an image size) its BatchNorm statistics
    are first set from random images: a plain random init shrinks the head's activations to ~1e-5, which would make
    output comparisons (parity, FP16) vacuous."""
    model = build_yolo(name, nc).model.to(device)
    if calibrate:
        calibrate_bn(model, calibrate)
    return model.fuse(verbose=False).eval()


def calibrate_bn(model, imgsz, batches=2, batch=4):
    """Set every BatchNorm's running statistics to the cumulative average over `batches` random (batch, ch, imgsz,
    imgsz) inputs in [0, 1)."""
    import torch

    for bn in (m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)):
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    device = next(model.parameters()).device
    with torch.no_grad():
        for _ in range(batches):
            model(torch.rand(batch, model.yaml.get("channels", 3), imgsz, imgsz, device=device))
