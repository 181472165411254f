# sdgas-ultra, AGPL-3.0
"""The interleaved timer of every latency benchmark (speed, export_speed, gpu).

Round-robin: each round calls every candidate once, in an order shuffled anew each round by a seeded RNG, so a change
of load on the machine, and any effect of the call before (caches, a thread pool still spinning), hits all candidates
alike; the per-round times stay paired by round. The caller sets the context (e.g. torch.inference_mode)."""

import random
import time


def interleaved(calls, rounds, warmup=0, sync=None, seed=0):
    """Time `calls` ({key: function of no arguments}) round-robin: `warmup` untimed calls of each first, then
    `rounds` rounds. sync (e.g. torch.cuda.synchronize) runs before and after each timed call, so that a call's
    time is its completion as a user sees it. Returns {key: [ms of round 0, round 1, ...]}."""
    sync = sync or (lambda: None)
    order, rng = list(calls), random.Random(seed)
    for key in order:
        for _ in range(warmup):
            calls[key]()
    sync()
    times = {key: [] for key in calls}
    for _ in range(rounds):
        rng.shuffle(order)
        for key in order:
            sync()
            t = time.perf_counter()
            calls[key]()
            sync()
            times[key].append((time.perf_counter() - t) * 1e3)
    return times
