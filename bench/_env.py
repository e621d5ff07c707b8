"""What a benchmark figure depends on, printed by every benchmark before its figures.

A figure without its conditions cannot be compared: the load average and a CPU calibration loop (the machine
and how busy it is), where the database lives (tmpfs or a disk, and the filesystem: an fsync per commit costs
~0 on tmpfs and milliseconds on a virtual disk), SQLite's synchronous mode, and the Python, SQLite and
PostgreSQL versions.
"""
from __future__ import annotations

import os
import platform
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url


def calibration() -> float:
    """Seconds for a fixed pure-Python loop: compare machines and loaded runs by it."""
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return time.perf_counter() - start


def cpu_model() -> str:
    """The CPU model (Linux): the recorded figures of 2026-11-28 came from an AMD EPYC, this machine is a Xeon."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def filesystem(path: str | Path) -> str:
    """The filesystem type holding ``path`` (its nearest existing parent), from /proc/self/mounts."""
    target = Path(path).resolve()
    while not target.exists() and target != target.parent:
        target = target.parent
    best, fstype = "", "unknown"
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return fstype
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and str(target).startswith(parts[1]) and len(parts[1]) > len(best):
            best, fstype = parts[1], parts[2]
    return fstype


def fsync_ms(folder: str | Path, samples: int = 20) -> float:
    """Median time of one fsync after a 4 KiB append in ``folder``: the least a durable commit costs there."""
    target = Path(folder)
    while not target.is_dir() and target != target.parent:
        target = target.parent
    fd, name = tempfile.mkstemp(dir=target, prefix=".fsync-probe-")
    try:
        times = []
        for _ in range(samples):
            os.write(fd, b"x" * 4096)
            t0 = time.perf_counter()
            os.fsync(fd)
            times.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(name)
    return sorted(times)[samples // 2] * 1000


def _pg_version(url: str) -> str:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def ask() -> str:
        # The server's own database: the benchmark's may not exist yet (it is recreated after this line).
        engine = create_async_engine(make_url(url).set(database="postgres"))
        try:
            async with engine.connect() as conn:
                return str((await conn.execute(text("SHOW server_version"))).scalar())
        finally:
            await engine.dispose()

    try:
        # On a thread of its own: the caller may already run an event loop (bench/outbound.py does).
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, ask()).result()
    except Exception as exc:  # noqa: BLE001 - the description never stops a benchmark
        return f"unknown ({type(exc).__name__})"


def describe(db_url: str | None, *, sqlite_synchronous: str = "FULL (the gateway's setting)") -> list[str]:
    """Lines describing the conditions of a run against ``db_url`` (None: a fresh SQLite file under $TMPDIR)."""
    load = os.getloadavg()
    lines = [f"env: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; calibration loop {calibration():.3f} s; "
             f"{os.cpu_count()} x {cpu_model()}; Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}"]
    if db_url is None or make_url(db_url).get_backend_name() == "sqlite":
        path = make_url(db_url).database if db_url else os.environ.get("TMPDIR", "/tmp")
        fs = filesystem(path or ".")
        lines.append(f"env: database sqlite at {path} on {fs}{' (tmpfs: fsync is free)' if fs == 'tmpfs' else ''}; "
                     f"fsync {fsync_ms(path or '.'):.2f} ms; synchronous {sqlite_synchronous}")
    else:
        u = make_url(db_url)
        lines.append(f"env: database postgresql at {u.host}:{u.port or 5432}/{u.database}; "
                     f"server {_pg_version(db_url)}")
    return lines


def print_env(db_url: str | None, **kwargs: str) -> None:
    for line in describe(db_url, **kwargs):
        print(line, flush=True)


def checkout_data_paths(config: dict) -> dict:
    """Point a copied config.yaml's data files at the checkout's (their paths are relative to the config file,
    and a benchmark writes its config into a temporary folder)."""
    root = Path(__file__).resolve().parents[1]
    config["routing"]["areas_csv"] = str(root / "data" / "jakarta_areas.csv")
    if config["routing"].get("boundaries_geojson"):
        config["routing"]["boundaries_geojson"] = str(root / "data" / "jakarta_kelurahan.geojson")
    return config
