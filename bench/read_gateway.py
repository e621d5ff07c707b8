"""A real gateway subprocess for bench/read.py, and the loads it puts on it (reads, partner and email ingest)."""
from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import socket
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench._env import checkout_data_paths

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "bench-read-partner-key-0123456789"
TEXTS = [
    "Sampah menumpuk di Jl. Kemang Raya Kel. Bangka Kec. Mampang Prapatan sudah 3 hari",
    "jalan berlubang parah di jl raya bogor dekat halte, kel. kramat jati",
    "Parkir liar di trotoar Jl. Sabang Kel. Kebon Sirih, pejalan kaki susah lewat",
    "lampu pju mati sepanjang jalan kec tebet udah seminggu",
]


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, db_url: str, port: int, smtp_port: int, public_cache: bool = True) -> Path:
    """The shipped config.yaml with this database, local ports, partner and email channels only, and the
    per-client lookup limit raised (every request comes from 127.0.0.1); ``public_cache`` False: every
    request of a public page computes it (what a page costs, not what a hit costs)."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["http"].update(host="127.0.0.1", port=port, access_log=False)
    if not public_cache:
        data["http"]["public_cache_seconds"] = 0
    data["instance"]["public_base_url"] = f"http://127.0.0.1:{port}"
    data["database"]["url"] = db_url
    data["media"]["dir"] = str(folder / "media")
    checkout_data_paths(data)
    data["web"]["tracking_lookups_per_minute_per_ip"] = 1_000_000
    email = dict(data["channels"]["email"], enabled=True, listen_host="127.0.0.1", listen_port=smtp_port,
                 maildir_path=str(folder / "mail"))
    data["channels"] = {"partner": {"partners": [{"name": "bench", "api_key": API_KEY}]}, "email": email}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def ensure_pg_database(url: str, *, fresh: bool = False) -> None:
    """Create the PostgreSQL database of ``url`` when it does not exist, or anew with ``fresh`` (bench
    databases only)."""
    import asyncpg  # type: ignore[import-untyped]
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                                 database="postgres")
    try:
        if fresh:
            await conn.execute(f'DROP DATABASE IF EXISTS "{u.database}"')
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", u.database):
            await conn.execute(f'CREATE DATABASE "{u.database}"')
    finally:
        await conn.close()


def empty_url(url: str, folder: Path) -> str:
    """A database beside ``url`` for the empty-database comparison: a new SQLite file, or ``<name>_empty``."""
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite"):
        return f"sqlite:///{folder / 'empty.db'}"
    u = make_url(url)
    return u.set(database=f"{u.database}_empty").render_as_string(hide_password=False)


class Gateway:
    """``main.py serve`` on free local ports, started and stopped with ``async with``."""

    def __init__(self, folder: Path, db_url: str, public_cache: bool = True) -> None:
        self.db_url = db_url
        self.port, self.smtp_port = free_port(), free_port()
        self.config_path = write_config(folder, db_url, self.port, self.smtp_port, public_cache)
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: asyncio.subprocess.Process | None = None
        self.client = httpx.AsyncClient(base_url=self.base, timeout=600)

    async def __aenter__(self) -> "Gateway":
        if self.db_url.startswith("postgresql"):
            await ensure_pg_database(self.db_url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
        env["ADUAN_LOG_LEVEL"] = "WARNING"
        self.proc = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "main.py"), "--config",
                                                         str(self.config_path), "serve", cwd=str(ROOT), env=env)
        for _ in range(1200):
            try:
                if (await self.client.get("/livez")).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        await self.__aexit__()
        raise RuntimeError("gateway did not start")

    async def __aexit__(self, *exc: Any) -> None:
        await self.client.aclose()
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await self.proc.wait()

    async def get(self, path: str) -> httpx.Response:
        r = await self.client.get(path)
        if r.status_code >= 400:
            raise RuntimeError(f"GET {path}: HTTP {r.status_code} {r.text[:200]}")
        return r

    def _status(self, key: str) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    def peak_rss_mb(self) -> float:
        """VmHWM: the gateway's peak resident set since it started (Linux)."""
        return self._status("VmHWM")

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def idle_cpu(self, seconds: float) -> float:
        """CPU time of the gateway process over ``seconds`` of wall time with no requests."""
        await asyncio.sleep(2)
        c0, t0 = self.cpu_seconds(), time.perf_counter()
        await asyncio.sleep(seconds)
        return (self.cpu_seconds() - c0) / (time.perf_counter() - t0)


async def ingest_partner(gw: Gateway, n: int, tag: str, concurrency: int = 32) -> tuple[float, float, float]:
    """N partner reports over HTTP, ``concurrency`` at a time; (msg/s, p50 s, p99 s)."""
    latencies: list[float] = []
    sem = asyncio.Semaphore(concurrency)
    headers = {"authorization": f"Bearer {API_KEY}"}

    async def one(i: int) -> None:
        async with sem:
            t0 = time.perf_counter()
            r = await gw.client.post("/api/v1/reports", headers=headers, json={
                "text": TEXTS[i % len(TEXTS)], "reporter_id": f"{tag}-u{i}", "idempotency_key": f"{tag}-{i}"})
            if r.status_code != 201:
                raise RuntimeError(f"partner report: HTTP {r.status_code} {r.text[:200]}")
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return n / (time.perf_counter() - start), percentile(latencies, 0.5), percentile(latencies, 0.99)


def _send_mails(port: int, mails: list[EmailMessage], latencies: list[float]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=600) as smtp:
        for mail in mails:
            t0 = time.perf_counter()
            smtp.send_message(mail)  # the server answers DATA after the mail is committed
            latencies.append(time.perf_counter() - t0)


async def ingest_email(gw: Gateway, n: int, tag: str, connections: int = 8) -> tuple[float, float, float]:
    """N plain-text mails over SMTP on ``connections`` connections; (mails/s, p50 s, p99 s)."""
    mails = []
    for i in range(n):
        m = EmailMessage()
        m["From"] = f"warga{i}-{tag}@example.id"
        m["To"] = "dki@jakarta.go.id"
        m["Subject"] = "Laporan warga"
        m["Message-ID"] = f"<{tag}-{i}@example.id>"
        m.set_content(TEXTS[i % len(TEXTS)])
        mails.append(m)
    latencies: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(*(asyncio.to_thread(_send_mails, gw.smtp_port, mails[k::connections], latencies)
                           for k in range(connections)))
    return n / (time.perf_counter() - start), percentile(latencies, 0.5), percentile(latencies, 0.99)
