"""Make a staff password hash for ``staff[].password_hash`` in config.yaml.

    .venv/bin/python -m bot.web.passwords          # prompts (input hidden), prints the hash
    echo -n 'secret' | .venv/bin/python -m bot.web.passwords --stdin
"""
from __future__ import annotations

import getpass
import sys

from bot.web.security import hash_password


def main(argv: list[str]) -> int:
    if "--stdin" in argv:
        password = sys.stdin.read().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("passwords differ", file=sys.stderr)
            return 1
    if len(password) < 10:
        print("use at least 10 characters", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
