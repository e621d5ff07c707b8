"""The starting instance files shipped inside the package, for ``aduan init DIR``.

An installed wheel has no source checkout beside it, yet the config refers to files by
paths relative to itself (data/jakarta_areas.csv, var/...). The files here are symlinks
to the checkout's own copies, so there is one copy in git; building the wheel copies
their contents in.
"""
from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

FILES = ("config.yaml", "data/jakarta_areas.csv", "data/jakarta_kelurahan.geojson", "data/README.md",
         "config_fragments/jakarta_catalogue.yaml")


def init_instance(directory: str) -> int:
    """Copy the bundled files into ``directory``; a file already there is kept (never overwritten)."""
    root = Path(directory)
    bundle = files(__name__)
    for name in FILES:
        target = root / name
        if target.exists():
            print(f"kept     {target}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bundle.joinpath(name).read_bytes())
        print(f"written  {target}")
    (root / "var").mkdir(exist_ok=True)
    print(f"\nnext: edit {root / 'config.yaml'}, then `aduan --config {root / 'config.yaml'} db upgrade` and "
          f"`aduan --config {root / 'config.yaml'} serve`", file=sys.stdout)
    return 0
