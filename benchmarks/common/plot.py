# sdgas-ultra, AGPL-3.0
"""The accuracy/speed picture of the accuracy report: test mAP50 against CPU latency (relative to yolov8n), one point
per model, in the style of ultralytics' model comparison plots."""

import statistics
from pathlib import Path

from benchmarks.common.results import read_rows


def tradeoff_points(rows, speed_rows):
    """[(model, latency ratio, mean test mAP50 in %, seeds)] of every model with test rows and a latency row."""
    latency = {r["model"]: float(r["latency_ratio"]) for r in speed_rows}
    by = {}
    for r in rows:
        if r.get("test_map50") is not None:
            by.setdefault(r["model"], []).append(r["test_map50"])
    return [(m, latency[m], 100 * statistics.fmean(v), len(v)) for m, v in by.items() if m in latency]


def plot_tradeoff(results_csv, speed_csv, png):
    """Draw test mAP50 against latency for the protocol in results_csv to png; returns the number of points (0: no
    picture is written, e.g. no latency or no test rows yet)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = tradeoff_points(read_rows(results_csv), read_rows(speed_csv))
    if not points:
        return 0
    speed = read_rows(speed_csv)[0]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for model, x, y, n in points:
        ours = model.startswith("sdgas")
        ax.scatter(x, y, s=40, marker="o" if ours else "s", color="tab:red" if model == "sdgasnet-n" else
                   "tab:orange" if ours else "tab:blue", zorder=3)
        ax.annotate(f"{model} ({n})", (x, y), textcoords="offset points", xytext=(5, 3), fontsize=7)
    ax.set_xlabel(f"CPU latency relative to {speed['reference']} (batch 1, imgsz {speed['imgsz']}, "
                  f"{speed['threads']} threads)")
    ax.set_ylabel("test mAP50 (%), mean over seeds")
    ax.set_title(f"{Path(results_csv).stem.removeprefix('accuracy-')}: accuracy against speed (seeds in brackets)",
                 fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)
    return len(points)
