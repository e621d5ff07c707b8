"""bench/email_writer.py on 24 generated mails: the output format, and the mails made tickets (no timing assertions)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAST = re.compile(r"email writer: [\d.]+ ms/mail CPU, ([\d.]+) statements/mail, groups of 4 \(sqlite\)")


def test_bench_email_writer_24_mails(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "email_writer.py"), "--mails", "24", "--dir",
                          str(tmp_path / "mails"), "--group", "4", "--warm", "1"],
                         cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    last = LAST.fullmatch(lines[-1])
    assert last, lines[-1]
    assert float(last.group(1)) > 0  # the counter saw the writer's statements
    counted = re.fullmatch(r"  writer: (\d+) mails counted, (\d+) tickets in all, [\d.]+ s CPU", lines[-2])
    assert counted, lines[-2]
    assert int(counted.group(1)) == 20  # 24 mails in groups of 4, the first group left out
    assert 0 < int(counted.group(2)) <= 24  # replies in the corpus join their tickets
    assert re.match(r"env: load average [\d.]+ [\d.]+ [\d.]+; calibration loop [\d.]+ s; ", lines[0]), lines[0]
