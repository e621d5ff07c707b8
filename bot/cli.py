"""The ``aduan`` command (also ``python main.py``): serve, db upgrade/downgrade, check-config, report, init.

    aduan [serve]                 run the gateway (HTTP, receivers, dispatcher, scheduler)
    aduan db upgrade [REV]        apply database migrations (default: the latest)
    aduan db downgrade REV        roll migrations back to REV
    aduan check-config            validate the configuration and exit
    aduan report [--since D] [--until D] [--by agency|kelurahan|source] [--csv out.csv]
                                  SLA performance figures: aligned table + CSV
    aduan figures verify          recompute the dashboard/report figures and list differences (exit 1 on any)
    aduan figures rebuild         recompute the figures from the tickets and store them
    aduan init DIR                write a starting config.yaml and its data files into DIR
    aduan staff list|show|add|disable|enable|set-password|set-role|link|reset-2fa
                                  the staff directory (see bot/staffcli.py)
    aduan canned list|add|delete  canned replies for the console's reply form (bot/cannedcli.py)
    aduan areas import FILE [--dry-run]
                                  store kelurahan polygons (GeoJSON or zipped Shapefile) for routing
    aduan areas import-centres FILE [--dry-run]
                                  store kelurahan centres (CSV code,latitude,longitude)
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

from bot import area_cli, cannedcli, staffcli
from bot.cli_gc import collector_paused, freeze_survivors
from bot.config import ConfigError, load_config, resolved_database_url
from bot.logging_setup import setup_logging, use_channel_secrets
from bot.version import __version__

if TYPE_CHECKING:
    from bot.config import AppConfig

log = logging.getLogger("aduan")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aduan", description="Aduan citizen-complaint gateway")
    parser.add_argument("--version", action="version", version=f"aduan {__version__}")
    parser.add_argument("--config", help="config file (default: $ADUAN_CONFIG or config.yaml)")
    sub = parser.add_subparsers(dest="command", metavar="{serve,db,check-config,report,figures,init,staff,canned,areas}")
    serve = sub.add_parser("serve", help="run the gateway (the default)")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", metavar="{upgrade,downgrade}", required=True)
    up = db_sub.add_parser("upgrade", help="apply Alembic migrations (default: up to the latest)")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default head)")
    down = db_sub.add_parser("downgrade", help="roll migrations back (e.g. -1, or a revision id)")
    down.add_argument("revision", help="target revision: -1 for one step back, or a revision id")
    sub.add_parser("check-config", help="validate the configuration and exit")
    report = sub.add_parser("report", help="performance figures per agency or kelurahan (table and CSV)")
    report.add_argument("--since", help="first creation date, YYYY-MM-DD (instance time zone) or ISO datetime")
    report.add_argument("--until", help="end of the period (exclusive), same formats")
    report.add_argument("--by", default="agency", choices=["agency", "kelurahan", "source"],
                        help="grouping (default agency; source: the channel or walk-in origin reports came in by)")
    report.add_argument("--csv", help="CSV output path (default: var/reports/performance-<by>-<since>-<until>.csv)")
    report.add_argument("--as-of", help="count backlog and overdue as of this date/time (default: now)")
    figures = sub.add_parser("figures", help="the aggregates behind dashboards and reports: verify or rebuild")
    figures.add_argument("figures_command", choices=["verify", "rebuild"],
                         help="verify: recompute and compare (exit 1 on a difference); rebuild: recompute and store")
    init = sub.add_parser("init", help="write a starting config.yaml and its data files into a folder")
    init.add_argument("directory", help="folder to create or fill (existing files are kept)")
    staffcli.add_parser(sub)
    cannedcli.add_parser(sub)
    area_cli.add_parser(sub)
    return parser


def run_report(config: "AppConfig", args: argparse.Namespace) -> int:
    """``aduan report``: print the figures as an aligned table and write them as CSV."""
    with collector_paused():  # the command's own imports are most of its start-up (bot/cli_gc.py)
        from bot.reports import (ReportError, default_csv_name, format_table, parse_params, parse_when,
                                 performance, write_csv)
        from store.db import Database

    tz = config.instance.timezone
    try:
        since, until, by = parse_params(args.since, args.until, args.by, tz)
        as_of = parse_when(args.as_of, tz, "as-of")
    except ReportError as err:
        print(f"report: {err}", file=sys.stderr)
        return 2

    async def figures() -> list[dict]:
        db = Database(resolved_database_url(config), timezone=tz)
        try:
            return await db.read_heavy(lambda conn: performance(conn, since, until, by, now=as_of))
        finally:
            await db.close()

    rows = asyncio.run(figures())
    path = args.csv or config.path("var/reports") / default_csv_name(by, since, until, tz)
    print(format_table(rows))
    written = write_csv(rows, path)
    print(f"\n{len(rows)} groups; CSV written to {written.resolve()}")
    return 0


def run_figures(config: "AppConfig", args: argparse.Namespace) -> int:
    """``aduan figures verify|rebuild`` (store.figures)."""
    from store import figures
    from store.db import Database

    async def run(rebuild: bool) -> Any:
        db = Database(resolved_database_url(config), timezone=config.instance.timezone)
        try:  # verify is a read: on SQLite it never holds the write lock the gateway needs
            return await (db.write(figures.rebuild) if rebuild else db.read_heavy(figures.verify))
        finally:
            await db.close()

    if args.figures_command == "rebuild":
        print(f"figures rebuilt: {asyncio.run(run(True))} rows")
        return 0
    problems = asyncio.run(run(False))
    for line in problems:
        print(line)
    print(f"figures verify: {len(problems)} difference(s)" if problems else "figures verify: exact")
    return 1 if problems else 0


def _metrics_server(gateway: Any, config: "AppConfig") -> tuple[Any, asyncio.Task[None]] | None:
    """/metrics on a listener of its own when ``metrics.port`` is set (kept off the public port)."""
    from bot.http.metrics_route import metrics_app
    from bot.http.server import OwnSignalsServer, server_config

    cfg = config.metrics
    if not cfg.enabled or cfg.port is None:
        return None
    server = OwnSignalsServer(server_config(metrics_app(gateway), config.http, host=cfg.host, port=cfg.port))
    log.info("metrics on http://%s:%s/metrics", cfg.host, cfg.port)
    return server, asyncio.create_task(server.serve(), name="metrics-http")


async def serve(config_path: str | None) -> int:
    from bot.gateway import Gateway
    from bot.http.app import create_app
    from bot.http.server import OwnSignalsServer, server_config

    config = load_config(config_path)
    gateway = Gateway(config)
    await gateway.start()
    app = create_app(gateway)
    log.debug("%d start-up objects frozen out of the cyclic collector", freeze_survivors())  # bot/cli_gc.py
    server = OwnSignalsServer(server_config(app, config.http))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # We handle signals ourselves so shutdown follows our order (OwnSignalsServer leaves them to us).
    server_task = asyncio.create_task(server.serve(), name="http")
    log.info("Aduan listening on http://%s:%s", config.http.host, config.http.port)
    metrics_server = _metrics_server(gateway, config)
    stop_task = asyncio.create_task(stop.wait())
    await asyncio.wait({server_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down: stopping intake, finishing transactions, releasing leases")
    server.should_exit = True  # stop taking requests; in-flight ones finish
    if metrics_server is not None:
        metrics_server[0].should_exit = True
        await asyncio.gather(metrics_server[1], return_exceptions=True)
    await asyncio.gather(server_task, return_exceptions=True)
    await gateway.stop()
    log.info("stopped")
    return 0


def check_config(config: "AppConfig") -> int:
    from bot.gateway import Gateway

    try:
        Gateway(config)  # builds templates, rules, areas and adapters: all validated
    except Exception as err:  # noqa: BLE001
        print(f"config error: {err}", file=sys.stderr)
        return 2
    print(f"config OK: {len(config.categories)} categories, {len(config.agencies)} agencies, "
          f"{len(config.staff)} staff, database {config.database.url.split('://')[0]}")
    return 0


def run_db(config: "AppConfig", args: argparse.Namespace) -> int:
    from store.migrate import downgrade, upgrade

    if args.db_command == "downgrade":
        downgrade(resolved_database_url(config), args.revision)
        print(f"database downgraded to {args.revision}")
        return 0
    upgrade(resolved_database_url(config), args.revision)
    print("database is up to date" if args.revision == "head" else f"database upgraded to {args.revision}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = setup_logging()
    command = args.command or "serve"
    if command == "init":
        from bot.bundled import init_instance

        return init_instance(args.directory)
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"config error: {err}", file=sys.stderr)
        return 2
    use_channel_secrets(handler, config)  # before any adapter exists: SDK constructors already log URLs
    if command == "check-config":
        return check_config(config)
    if command == "report":
        return run_report(config, args)
    if command == "db":
        return run_db(config, args)
    if command == "staff":
        return staffcli.run_staff(config, args)
    if command == "canned":
        return cannedcli.run_canned(config, args)
    if command == "figures":
        return run_figures(config, args)
    if command == "areas":
        from bot.clock import SystemClock

        return area_cli.run_areas(config, args, SystemClock().now())
    from bot.listen_check import warn_on_mismatch
    from store.migrate import upgrade

    warn_on_mismatch(config)
    if not getattr(args, "no_migrate", False):
        upgrade(resolved_database_url(config))
    try:
        import uvloop  # noqa: F401

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(serve(args.config))
