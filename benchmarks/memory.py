# sdgas-ultra, AGPL-3.0
"""Memory benchmark (issue #7): peak resident memory of CPU training, sdgasnet-n against yolov8n.

    python -m benchmarks.memory                          # batch 16, imgsz 640, 4 iterations each (target <= 1.3x)
    python -m benchmarks.memory --imgsz 128 --iters 2    # smoke run

Each model trains in a fresh interpreter (so neither sees the other's allocations) for one epoch of `--iters`
batches on a synthetic-defects dataset of batch * iters training images, followed by ultralytics' end-of-training
validation (a couple of images), exactly as `yolo train` runs it. On CPU ultralytics uses no dataloader workers, so
the child's own peak RSS (resource.getrusage ru_maxrss) is the whole training peak; its RSS right after importing
torch and ultralytics is reported too, since that baseline is the same for every model. The headline is the ratio
of peak RSS, model over baseline model; the exit code is 1 when it exceeds --target.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import cli

# Runs in the child: import, note RSS, train, print one JSON line with both numbers (bytes).
CHILD = r"""
import json, resource, sys
from ultralytics import YOLO

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()

after_import = rss()
model, data, project, kwargs = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
YOLO(model).train(data=data, project=project, name=model, exist_ok=True, **kwargs)
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print("SDGAS_MEMORY " + json.dumps({"peak": peak * 1024, "after_import": after_import}))
"""


def parse_args(argv=None):
    p = cli.parser(__doc__, "memory")
    p.add_argument("--model", default="sdgasnet-n.yaml", help="model YAML under test")
    p.add_argument("--baseline", default="yolov8n.yaml", help="model YAML it is compared with")
    p.add_argument("--imgsz", type=int, default=640)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--iters", type=int, default=4, help="training iterations (batches) per model")
    p.add_argument("--target", type=float, default=1.3, help="largest acceptable peak-RSS ratio")
    p.add_argument("--out", type=Path, default=None, help="working folder (dataset, runs); default: a temp folder")
    args = p.parse_args(argv)
    cli.at_least(p, args, {"imgsz": 32, "batch": 1, "iters": 1})  # imgsz: the largest stride
    return args


def measure(model, data, project, args):
    """Peak and post-import RSS (bytes) of training `model` in a fresh interpreter."""
    kwargs = dict(epochs=1, imgsz=args.imgsz, batch=args.batch, workers=0, device="cpu", plots=False, val=False)
    kwargs.update(warmup_epochs=0, amp=False, seed=0, deterministic=False)
    env = {**os.environ, "YOLO_OFFLINE": "1", "YOLO_AUTOINSTALL": "false"}
    env.setdefault("YOLO_CONFIG_DIR", str(Path(project) / "yolo-config"))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, model, str(data), str(project), json.dumps(kwargs)],
        capture_output=True, text=True, env=env,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("SDGAS_MEMORY ")), None)
    if done.returncode or line is None:
        sys.exit(f"training {model} failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}")
    return json.loads(line.split(" ", 1)[1])


def main(argv=None):
    args = parse_args(argv)
    from sdgas_ultra.data.synthetic import generate

    with tempfile.TemporaryDirectory(prefix="sdgas-memory-") as tmp:
        out = (args.out or Path(tmp)).resolve()
        n_train = args.batch * args.iters
        print(f"dataset: {n_train} train / 2 val synthetic-defects images under {out} ...", flush=True)
        data = generate(out / f"synthetic-{n_train}-2", n_train=n_train, n_val=2, seed=0, n_test=0)
        results = {}
        for model in (args.model, args.baseline):
            print(f"training {model}: {args.iters} batches of {args.batch}, imgsz {args.imgsz} ...", flush=True)
            results[model] = measure(model, data, out / "runs", args)

    mib = 1 << 20
    print(f"\n{'model':<22}{'peak RSS (MiB)':>16}{'after import':>14}{'training':>10}")
    for model, r in results.items():
        peak, base = r["peak"] / mib, r["after_import"] / mib
        print(f"{model:<22}{peak:>16.0f}{base:>14.0f}{peak - base:>10.0f}")
    m, b = results[args.model], results[args.baseline]
    ratio = m["peak"] / b["peak"]
    growth = (m["peak"] - m["after_import"]) / max(b["peak"] - b["after_import"], 1)
    verdict = "OK" if ratio <= args.target else "OVER TARGET"
    print(f"\npeak RSS ratio {args.model} / {args.baseline}: {ratio:.2f}x (target <= {args.target}x): {verdict}")
    print(f"ratio of memory added by training (peak - after import): {growth:.2f}x")
    return 0 if ratio <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
