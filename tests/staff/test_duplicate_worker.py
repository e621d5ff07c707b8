"""Issue 15: intake's possible-duplicate lookup in a worker process (``duplicates.lookup_process``, the shipped
default; the rest of the suite runs it on the writer). The same links as on the writer; a worker that fails or
is killed loses no link, and is started again."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Any, AsyncIterator

import pytest

from tests.staff import test_duplicates as on_writer
from tests.staff.conftest import Desk, agencies, build_desk, citizen_adapter, make_config, slack_section, STAFF
from tests.staff.test_duplicates import LAT, LON, POTHOLE, RUBBISH, links, submit


@pytest.fixture
async def desk(tmp_path, database_url, clock, slack_api) -> AsyncIterator[Desk]:
    """The staff desk with the lookup in a worker process."""
    config = make_config(tmp_path, database_url, staff=STAFF, agencies=agencies(),
                         channels={"slack": slack_section(slack_api)}, duplicates={"lookup_process": True})
    gw, d = await build_desk(config, database_url, clock, slack_api, citizen_adapter(True))
    assert gw.intake.lookups.worker is not None
    try:
        yield d
    finally:
        await d.client.aclose()
        await gw.stop()


def worker_of(desk: Desk) -> Any:
    return desk.gw.intake.lookups.worker


# The writer's own tests of what is linked, run with the worker: the same links must come back.
test_distance_just_inside_and_outside_the_radius = on_writer.test_distance_just_inside_and_outside_the_radius
test_other_category_and_closed_reports_are_not_matched = on_writer.test_other_category_and_closed_reports_are_not_matched
test_near_identical_text_in_the_same_kelurahan_within_the_window = (
    on_writer.test_near_identical_text_in_the_same_kelurahan_within_the_window)
test_a_redelivery_makes_no_second_link_and_disabled_detection_makes_none = (
    on_writer.test_a_redelivery_makes_no_second_link_and_disabled_detection_makes_none)
test_reports_of_one_group_commit_link_the_newer_to_the_older_once = (
    on_writer.test_reports_of_one_group_commit_link_the_newer_to_the_older_once)
test_the_same_words_far_apart_are_not_linked_when_both_have_coordinates = (
    on_writer.test_the_same_words_far_apart_are_not_linked_when_both_have_coordinates)


async def test_the_links_come_from_the_worker_process(desk):
    first = await submit(desk, POTHOLE, lat=LAT, lon=LON)
    second = await submit(desk, POTHOLE, lat=LAT + 0.0001, lon=LON)
    (link,) = await links(desk, second.tracking_id)
    assert link["tracking_id"] == first.tracking_id
    worker = worker_of(desk)
    assert worker.looked_up == 2 and worker.starts == 1
    (pid,) = worker.pids()
    assert pid != os.getpid()


async def test_the_worker_sees_what_another_process_wrote_closed_or_reopened(desk, monkeypatch):
    """The worker keeps its candidates between lookups and catches up with other writers, checking every match
    (the writer's own test, with the worker reading the database through connections of its own)."""
    await on_writer.test_the_text_test_sees_what_another_process_wrote_and_never_links_a_merged_report(
        desk, monkeypatch, 5000)
    await on_writer.test_the_distance_test_sees_reports_placed_closed_or_reopened_by_another_process(
        desk, monkeypatch, 5000)
    assert worker_of(desk).looked_up >= 5


async def test_a_killed_worker_loses_no_link_and_a_new_one_takes_over(desk, caplog):
    first = await submit(desk, POTHOLE, lat=LAT, lon=LON)
    worker = worker_of(desk)
    (pid,) = worker.pids()
    os.kill(pid, signal.SIGKILL)
    with caplog.at_level(logging.ERROR):
        second = await submit(desk, POTHOLE, lat=LAT + 0.0001, lon=LON)  # sent to a dead worker, or none at all
        third = await submit(desk, POTHOLE, lat=LAT - 0.0001, lon=LON)
        fourth = await submit(desk, POTHOLE, lat=LAT + 0.0002, lon=LON)
    async def older(report: Any) -> set[str]:
        return {lk["tracking_id"] for lk in await links(desk, report.tracking_id) if lk["newer"]}  # ours, to older

    assert await older(second) == {first.tracking_id}
    assert await older(third) == {first.tracking_id, second.tracking_id}
    assert await older(fourth) == {first.tracking_id, second.tracking_id, third.tracking_id}
    assert worker.starts == 2 and worker.pids() and pid not in worker.pids()
    assert "looking them up on the writer" in caplog.text or "not available" in caplog.text
    assert POTHOLE not in caplog.text  # the log names counts and errors, never a report's text


async def test_a_lookup_that_fails_in_the_worker_is_redone_on_the_writer(desk, caplog):
    from tests.staff import worker_faults

    worker = worker_of(desk)
    worker._find = worker_faults.fails
    first = await submit(desk, RUBBISH)
    with caplog.at_level(logging.ERROR):
        second = await submit(desk, RUBBISH + "!")
    assert [lk["tracking_id"] for lk in await links(desk, second.tracking_id)] == [first.tracking_id]
    assert worker.looked_up == 0 and worker.starts == 1  # it failed, it did not die: the same worker goes on
    assert "RuntimeError" in caplog.text and RUBBISH not in caplog.text


async def test_stopping_the_gateway_ends_the_worker(tmp_path, database_url, clock, slack_api):
    config = make_config(tmp_path, database_url, staff=STAFF, agencies=agencies(),
                         channels={"slack": slack_section(slack_api)}, duplicates={"lookup_process": True})
    gw, d = await build_desk(config, database_url, clock, slack_api, citizen_adapter(True))
    await submit(d, POTHOLE, lat=LAT, lon=LON)
    (pid,) = gw.intake.lookups.worker.pids()
    await d.client.aclose()
    await gw.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_an_in_memory_database_keeps_the_lookup_on_the_writer():
    from bot.duplicate_worker import can_share

    assert not can_share("sqlite://") and not can_share("sqlite:///:memory:")
    assert not can_share("sqlite:///file:x?mode=memory&cache=shared&uri=true")
    assert can_share("sqlite:////var/lib/aduan/aduan.db")
    assert can_share("postgresql+asyncpg://postgres@127.0.0.1:5432/aduan")


def test_the_worker_ends_when_the_gateway_is_killed(tmp_path, database_url):
    """A pool's worker outlives a parent killed with SIGKILL unless it watches for it: each restart of a killed
    gateway would leave one more process behind."""
    import subprocess
    import sys
    import time

    script = tmp_path / "gateway.py"
    script.write_text(
        "import sys, time\n"
        "from datetime import datetime, UTC\n"
        "from bot.config import DuplicatesConfig\n"
        "from bot.duplicate_worker import LookupProcess\n"
        "if __name__ == '__main__':\n"
        "    worker = LookupProcess(sys.argv[1], DuplicatesConfig())\n"
        "    worker.start(datetime.now(UTC))\n"
        "    worker._pool.submit(int).result()\n"
        "    print(*worker.pids(), flush=True)\n"
        "    time.sleep(600)\n")
    root = str(on_writer.__file__).rsplit("/tests/", 1)[0]
    gateway = subprocess.Popen([sys.executable, str(script), database_url], stdout=subprocess.PIPE, text=True,
                               cwd=root, env=dict(os.environ, PYTHONPATH=root))
    try:
        pid = int(gateway.stdout.readline())
        os.kill(pid, 0)  # running
    finally:
        gateway.kill()
        gateway.wait()
    import psutil

    for _ in range(600):  # it exits at once; the loop only bounds a broken build's wait
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:  # exited, not yet reaped by its new parent
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    pytest.fail(f"the worker {pid} outlived its killed gateway")


async def test_a_worker_that_keeps_dying_is_given_up_for_the_writer(desk, caplog):
    """Each death costs a spawn: after MAX_DEATHS in a row, the lookups stay on the writer (until the next start),
    and still link."""
    from bot.duplicate_lookups import MAX_DEATHS

    reports = [await submit(desk, POTHOLE, lat=LAT, lon=LON)]
    with caplog.at_level(logging.ERROR):
        for k in range(MAX_DEATHS):
            worker = worker_of(desk)
            assert worker is not None, k
            if not worker.pids():  # the last one died: started again now, as the next group would
                worker.start(desk.clock.now())
            await asyncio.wrap_future(worker._pool.submit(int))  # running
            for pid in worker.pids():
                os.kill(pid, signal.SIGKILL)
            reports.append(await submit(desk, POTHOLE, lat=LAT + 0.0001 * (k + 1), lon=LON))
    assert worker_of(desk) is None
    assert "looking up on the writer from now on" in caplog.text
    last = await submit(desk, POTHOLE, lat=LAT - 0.0001, lon=LON)
    linked = {lk["tracking_id"] for lk in await links(desk, last.tracking_id) if lk["newer"]}
    assert linked == {r.tracking_id for r in reports[:3]}  # the nearest three (NEAREST_LINKED)
