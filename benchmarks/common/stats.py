# sdgas-ultra, AGPL-3.0
"""Paired statistics over seeds: the Student-t interval of per-seed differences, the two-level paired bootstrap over
seeds and test images, and their text forms (values are fractions, text is in points).

Bootstrap: BOOT fixed resamples of the test images (`resamples`, the same for every model and seed of a dataset) give
each run BOOT replicate values; a replicate of a comparison draws seeds with replacement and averages the per-seed
differences of that image resample; the interval is the 2.5-97.5 % percentile range of the replicates.
"""

import math
import statistics

import numpy as np

BOOT, BOOT_SEED = 200, 2026  # bootstrap replicates over test images; the seed fixes the resamples for every model
# two-sided 95 % Student-t quantiles t(0.975, df) for df = 1..30; larger df use the normal 1.96
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def mean_std(values):
    """Mean and sample standard deviation (0.0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def paired(a, b):
    """Paired difference of two {seed: value} maps over their common seeds: (mean, half-width of the 95 % Student-t
    interval or None for fewer than 2 seeds, per-seed differences in seed order)."""
    seeds = sorted(set(a) & set(b))
    diffs = [a[s] - b[s] for s in seeds]
    if not diffs:
        return None, None, []
    mean, sd = mean_std(diffs)
    n = len(diffs)
    half = (T975[n - 2] if n - 1 <= len(T975) else 1.96) * sd / math.sqrt(n) if n > 1 else None
    return mean, half, diffs


def resamples(n):
    """(BOOT, n) image indices of the bootstrap resamples: fixed by BOOT_SEED and n, so shared by every run."""
    return np.random.default_rng([BOOT_SEED, n]).integers(0, n, (BOOT, n))


def paired_bootstrap(a, b):
    """Two-level paired bootstrap of a - b over the seeds both have: a, b map seed -> (BOOT,) replicate values of
    the same image resamples. Returns the (2.5 %, 97.5 %) percentiles, or None without common seeds."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    diffs = np.stack([a[s] - b[s] for s in seeds])  # (seeds, BOOT)
    pick = np.random.default_rng(BOOT_SEED).integers(0, len(seeds), (diffs.shape[1], len(seeds)))
    means = diffs[pick, np.arange(diffs.shape[1])[:, None]].mean(1)  # per replicate: resampled seeds, its images
    return tuple(np.percentile(means, (2.5, 97.5)))


def fmt(values, scale=100.0, digits=1):
    """'mean ± std' of values times scale; the mean alone for one value, '–' for none."""
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    mean, std = mean_std([v * scale for v in values])
    return f"{mean:.{digits}f}" if len(values) == 1 else f"{mean:.{digits}f} ± {std:.{digits}f}"


def fmt_paired(mean, half, digits=1):
    """'+3.1 [+0.4, +5.8]' in points (values are fractions), or '+3.1 (1 seed)' without an interval."""
    if mean is None:
        return "–"
    if half is None:
        return f"{100 * mean:+.{digits}f} (1 seed)"
    return f"{100 * mean:+.{digits}f} [{100 * (mean - half):+.{digits}f}, {100 * (mean + half):+.{digits}f}]"


def fmt_interval(ci):
    """'[+1.0, +5.0]' in points of a (low, high) interval of fractions; '–' for None."""
    return f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]" if ci else "–"


def fmt_diffs(diffs):
    """'+2.0 -1.5 +0.3': per-seed differences in points."""
    return " ".join(f"{100 * d:+.1f}" for d in diffs)
