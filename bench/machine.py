"""What every benchmark's figure depends on: the load average and a CPU calibration figure."""
from __future__ import annotations

import os
import time


def calibration() -> float:
    """Seconds for a fixed pure-Python loop: compare machines and loaded runs by it."""
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return time.perf_counter() - start


def machine_line() -> str:
    load = os.getloadavg()
    return f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; calibration loop {calibration():.3f} s"
