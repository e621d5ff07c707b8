"""Roll-ups of the figures: fig_city (tickets of the province and of each kota by period, category, agency,
source and status), fig_area (tickets and open tickets per kelurahan and period), fig_perf_year and
fig_hist_year (the performance figures per year), backfilled from the figures kept so far

Revision ID: 0018_rollups
Revises: 0017_ratings
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_rollups"
down_revision = "0017_ratings"
branch_labels = None
depends_on = None

# bot.lifecycle.OPEN_STATUSES as SQL (a migration keeps its own copy).
_OPEN = "status IN ('MENUNGGU', 'KOORDINASI', 'DISPOSISI', 'PROSES', 'MENUNGGU_VALIDASI', 'TL_DITOLAK')"


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def _key(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=False)


def upgrade() -> None:
    op.create_table("fig_city", _key("period", 10), _key("scope", 20), _key("category_code", 40),
                    _key("agency_code", 40), _key("source", 30), _key("status", 20), _count("n"), _count("on_time"),
                    sa.PrimaryKeyConstraint("period", "scope", "category_code", "agency_code", "source", "status"))
    op.create_table("fig_area", _key("period", 10), _key("area_code", 20), _count("n"), _count("open_n"),
                    sa.PrimaryKeyConstraint("period", "area_code"))
    # Backfilled by summing the figures kept since 0006 / 0015 (exact at this commit): seconds, where a
    # recomputation from a million tickets takes minutes. All time from fig_count, periods from fig_created.
    keys = "category_code, agency_code, source, status"
    # The province (scope '') and each kota: an area's kota is itself, its parent or its grandparent at
    # level kota (store.figures.kota_of).
    kota = ("SELECT a.code AS code, CASE WHEN a.level = 'kota' THEN a.code WHEN p.level = 'kota' THEN p.code "
            "WHEN g.level = 'kota' THEN g.code END AS kota FROM area a LEFT JOIN area p ON p.code = a.parent_code "
            "LEFT JOIN area g ON g.code = p.parent_code")
    for scope, by, join in (("''", "", ""),
                            ("k.kota", "k.kota, ", f"JOIN ({kota}) k ON k.code = f.area_code AND k.kota IS NOT NULL")):
        op.execute(f"INSERT INTO fig_city (period, scope, {keys}, n, on_time) "
                   f"SELECT '', {scope}, {keys}, SUM(n), SUM(on_time) FROM fig_count f {join} "
                   f"GROUP BY {by}{keys} HAVING SUM(n) <> 0 OR SUM(on_time) <> 0")
        op.execute(f"INSERT INTO fig_city (period, scope, {keys}, n, on_time) "
                   f"SELECT period, {scope}, {keys}, SUM(n), SUM(on_time) FROM fig_created f {join} "
                   f"GROUP BY period, {by}{keys} HAVING SUM(n) <> 0 OR SUM(on_time) <> 0")
    open_n = f"SUM(CASE WHEN {_OPEN} THEN n ELSE 0 END)"
    op.execute(f"INSERT INTO fig_area (period, area_code, n, open_n) SELECT '', area_code, SUM(n), {open_n} "
               f"FROM fig_count GROUP BY area_code HAVING SUM(n) <> 0 OR {open_n} <> 0")
    op.execute(f"INSERT INTO fig_area (period, area_code, n, open_n) SELECT period, area_code, SUM(n), {open_n} "
               f"FROM fig_created GROUP BY period, area_code HAVING SUM(n) <> 0 OR {open_n} <> 0")


    _perf_years()


_PERF_SUMS = ("tickets", "coordinated", "resolved", "in_sla", "backlog", "reopened", "ever_resolved", "proofs",
              "rejected", "coordinate_s", "resolve_s", "rated", "rating_total", "rated_low")


def _perf_years() -> None:
    """fig_perf_year and fig_hist_year, summed from the month rows (``month`` holds the year)."""
    def key() -> list[sa.Column]:
        return [_key("grouping", 12), _key("group_key", 40), _key("month", 7)]

    op.create_table("fig_perf_year", *key(), *[_count(c) for c in _PERF_SUMS],
                    sa.PrimaryKeyConstraint("grouping", "group_key", "month"))
    op.create_table("fig_hist_year", *key(), _key("measure", 12),
                    sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False), _count("n"),
                    sa.PrimaryKeyConstraint("grouping", "group_key", "month", "measure", "bucket"))
    sums = ", ".join(_PERF_SUMS)
    op.execute(f"INSERT INTO fig_perf_year (grouping, group_key, month, {sums}) SELECT grouping, group_key, "
               f"SUBSTR(month, 1, 4), {', '.join(f'SUM({c})' for c in _PERF_SUMS)} FROM fig_perf "
               f"GROUP BY grouping, group_key, SUBSTR(month, 1, 4)")
    op.execute("INSERT INTO fig_hist_year (grouping, group_key, month, measure, bucket, n) SELECT grouping, "
               "group_key, SUBSTR(month, 1, 4), measure, bucket, SUM(n) FROM fig_hist "
               "GROUP BY grouping, group_key, SUBSTR(month, 1, 4), measure, bucket")


def downgrade() -> None:
    op.drop_table("fig_hist_year")
    op.drop_table("fig_perf_year")
    op.drop_table("fig_area")
    op.drop_table("fig_city")
