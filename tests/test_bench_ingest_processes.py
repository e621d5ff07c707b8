"""bench/ingest.py --processes: the callback budget check counts deliveries per window correctly."""
from __future__ import annotations

from collections import namedtuple

from bench.ingest_processes import CallbackReceiver, _machine_busy


def _receiver(times: list[float]) -> CallbackReceiver:
    r = CallbackReceiver()
    r.times = list(times)
    return r


def test_most_in_window_counts_the_densest_stretch():
    # 40 at once (a full bucket), then the refill of 40 a second: 240 within the 5 s that start at the burst.
    times = [0.0] * 40 + [0.001 + i / 40 for i in range(400)]
    assert _receiver(times).most_in_window(5.0) == 240
    # The window is half-open: a delivery exactly W after another is in the next window.
    assert _receiver([0.0, 1.0, 2.0]).most_in_window(1.0) == 1
    assert _receiver([]).most_in_window(5.0) == 0


def test_two_processes_each_with_its_own_budget_would_fail_the_check():
    one_budget = [i / 40 for i in range(400)]          # 40/s for 10 s
    two_budgets = sorted(one_budget + one_budget)      # each process spending 40/s of its own
    bound = 40 + 40 * 5 + 8                            # burst + 5 s of refill + the lane's sends in flight
    assert _receiver(one_budget).most_in_window(5.0) <= bound
    assert _receiver(two_budgets).most_in_window(5.0) > bound


def test_machine_busy_is_the_share_not_idle():
    Times = namedtuple("Times", "user system idle iowait")
    assert _machine_busy(Times(0, 0, 0, 0), Times(30, 10, 50, 10)) == 40.0
    assert _machine_busy(Times(0, 0, 0, 0), Times(0, 0, 0, 0)) == 0.0
