"""Issue 12, point 5: SQL is built only in ``store/``, and nobody outside it uses a private name of it.

The walk reads every module of bot/, adapters/ and scheduler/ with ``ast`` (nothing is imported), so a
query built anywhere else, or a ``repo._cached`` reached into from outside, fails here with its place.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WALKED = ("bot", "adapters", "scheduler")
# sqlalchemy's statement builders; calling one of them is building SQL.
SQL_BUILDERS = frozenset({"select", "update", "insert", "delete", "text"})
SQLALCHEMY_MODULES = ("sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "sqlalchemy.future")
# Paths still allowed to build SQL: none (the arch-staff branch moved bot/staff, intake, tickets, outbox
# and scheduler queries into store/ when it merged main).
PENDING_ARCH_STAFF_ALLOW_LIST: tuple[str, ...] = ()


def _sqlalchemy_aliases(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(names bound to a statement builder, names bound to a sqlalchemy module) in one module."""
    builders: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in SQLALCHEMY_MODULES:
            builders |= {a.asname or a.name for a in node.names if a.name in SQL_BUILDERS}
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name in SQLALCHEMY_MODULES}
    return builders, modules


def _store_aliases(tree: ast.AST) -> set[str]:
    """Names bound to a store module (``from store import repo``, ``import store.repo as repo``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "store":
            names |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.asname for a in node.names if a.name.startswith("store.") and a.asname}
    return names


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _is_sql_call(node: ast.Call, builders: set[str], modules: set[str]) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in builders
    if not isinstance(func, ast.Attribute) or func.attr not in SQL_BUILDERS:
        return False
    receiver = _dotted(func.value)
    # sa.select(...), or a table's own builder: repo.T_MESSAGE.delete(), T_TICKET.update()
    return receiver in modules or receiver.rsplit(".", 1)[-1].startswith("T_")


def violations(source: str, path: str) -> list[str]:
    """Every SQL statement built and every private store name used in one module's source."""
    tree = ast.parse(source, filename=path)
    builders, modules = _sqlalchemy_aliases(tree)
    stores = _store_aliases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_sql_call(node, builders, modules):
            found.append(f"{path}:{node.lineno}: builds SQL ({_dotted(node.func)})")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "store":
            found += [f"{path}:{node.lineno}: imports private {node.module}.{a.name}"
                      for a in node.names if a.name.startswith("_")]
        elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
              and isinstance(node.value, ast.Name) and node.value.id in stores):
            found.append(f"{path}:{node.lineno}: uses private {node.value.id}.{node.attr}")
    return found


def _modules() -> list[Path]:
    return sorted(p for d in WALKED for p in (ROOT / d).rglob("*.py"))


def _allowed(rel: str) -> bool:
    return rel.startswith(PENDING_ARCH_STAFF_ALLOW_LIST)


def test_no_sql_and_no_private_store_names_outside_store() -> None:
    found = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if not _allowed(rel):
            found += violations(path.read_text(encoding="utf-8"), rel)
    assert found == [], "\n".join(["SQL belongs in store/ (issue 12, point 5):", *found])


def test_the_walk_covers_the_web_and_http_modules() -> None:
    walked = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert {"bot/web/queries.py", "bot/http/admin.py", "bot/reports.py", "bot/public.py"} <= walked


@pytest.mark.parametrize(("source", "expected"), [
    ("from sqlalchemy import select\nselect(1)\n", "builds SQL (select)"),
    ("from sqlalchemy import update as u\nu(t)\n", "builds SQL (u)"),
    ("from sqlalchemy import text\ntext('SELECT 1')\n", "builds SQL (text)"),
    ("import sqlalchemy as sa\nsa.insert(t)\n", "builds SQL (sa.insert)"),
    ("from store import repo\nrepo.T_MESSAGE.delete()\n", "builds SQL (repo.T_MESSAGE.delete)"),
    ("from store import repo\nrepo._cached(('k',), f)\n", "uses private repo._cached"),
    ("from store.repo import _cached\n", "imports private store.repo._cached"),
])
def test_the_walker_finds_each_kind_of_violation(source: str, expected: str) -> None:
    assert [v.split(": ", 1)[1] for v in violations(source, "x.py")] == [expected]


@pytest.mark.parametrize("source", [
    "from store import repo\nrepo.ticket_by_id(conn, 1)\n",  # a public store function
    "d = {}\nd.update(a=1)\nwords.text()\n",  # same method names on other objects
    "from store import repo\nrepo.__name__\n",
])
def test_the_walker_allows_public_store_use(source: str) -> None:
    assert violations(source, "x.py") == []
