"""bench/email.py end to end on 50 generated mails: the output format, and every mail stored with a ticket and
one queued reply, over SMTP and in-process (no timing assertions)."""
from __future__ import annotations

import email
import re
import subprocess
import sys
from email.policy import compat32
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAST = re.compile(r"email: (\d+) mails/s smtp, (\d+) mails/s in-process, p99 (\d+) ms \((sqlite|postgresql)\)")


def test_bench_email_50_mails(tmp_path: Path) -> None:
    folder = tmp_path / "mails"
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "email.py"), "--mails", "50", "--dir", str(folder),
                          "--connections", "4"], cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert LAST.fullmatch(lines[-1]), lines[-1]
    # What the figure depends on (bench/_env.py): the machine's load and calibration, then where the database lives.
    assert re.match(r"env: load average [\d.]+ [\d.]+ [\d.]+; calibration loop [\d.]+ s; ", lines[0]), lines[0]
    assert lines[1].startswith("env: database sqlite at "), lines[1]
    # The corpus is the promised mix (55/25/20 % over every 20 mails), as .eml files the stdlib reads back.
    mails = [email.message_from_bytes(p.read_bytes(), policy=compat32) for p in sorted(folder.glob("*.eml"))]
    assert len(mails) == 50
    kinds = [m.get_content_type() for m in mails]
    assert (kinds.count("text/plain"), kinds.count("multipart/alternative"), kinds.count("multipart/mixed")) \
        == (11 + 11 + 10, 5 + 5, 4 + 4)
    for mode in ("smtp", "in-process"):
        (line,) = [ln for ln in lines if ln.startswith(f"  {mode}: ")]
        assert "stored with ticket 50/50" in line and "replies queued 50/50" in line, line
        assert "errors 0" in line and line.endswith("complete"), line
        photos = int(re.search(r"photos (\d+)", line).group(1))  # type: ignore[union-attr]
        assert photos == kinds.count("multipart/mixed"), line  # every JPEG stored
    assert sum(1 for m in mails if m["In-Reply-To"]) >= 5
    assert sum(1 for m in mails if "=?utf-8?" in str(m["Subject"]).lower()) >= 10
