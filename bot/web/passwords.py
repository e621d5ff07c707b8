"""Make a staff password hash for ``staff[].password_hash`` in config.yaml (or set it in the database with
``aduan staff set-password CODE``).

    .venv/bin/python -m bot.web.passwords          # prompts (input hidden), prints the hash
    echo -n 'secret' | .venv/bin/python -m bot.web.passwords --stdin
"""
from __future__ import annotations

import getpass
import sys

from bot.web.security import hash_password


MIN_LENGTH = 10


def read_password(from_stdin: bool) -> str | None:
    """A new password from standard input or typed twice (hidden); None (with the reason on stderr) if refused."""
    if from_stdin:
        password = sys.stdin.read().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("passwords differ", file=sys.stderr)
            return None
    if len(password) < MIN_LENGTH:
        print(f"use at least {MIN_LENGTH} characters", file=sys.stderr)
        return None
    return password


def main(argv: list[str]) -> int:
    password = read_password("--stdin" in argv)
    if password is None:
        return 1
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
