"""The type of a database row as the core hands it around (tickets, reporters).

SQLAlchemy's RowMapping is a Mapping keyed by `str | Column`, and Mapping is invariant in its key, so
`Mapping[str, Any]` would refuse every row read from the database; tests pass plain dicts, which this accepts too.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

RowLike: TypeAlias = Mapping[Any, Any]
