"""holiday calendar: load a year the chinesecalendar package lacks; show the years and provisional deadlines"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import asyncpg
import pydantic

from claims import repository as repo
from claims.calendar import HolidayYear, library_years
from kernel.audit import AuditEvent, record
from kuaichu.commands import with_conn
from kuaichu.settings import Settings
from schemas.calendar import HolidayYearFile


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="calendar_command", required=True)
    ld = sub.add_parser(
        "load", help="load one year from a file transcribed from the State Council's notice"
    )
    ld.add_argument("file", type=Path, help='JSON, as README.md "Holiday calendar" describes')
    sub.add_parser("show", help="the years with holiday data and where each comes from")


def read_file(path: Path) -> HolidayYearFile:
    try:
        return HolidayYearFile.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise SystemExit(f"kuaichu: cannot read {path}: {exc.strerror}") from None
    except pydantic.ValidationError as exc:
        lines = [
            f"  {'/'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        ]
        raise SystemExit(
            f"kuaichu: {path} is not a holiday calendar year:\n" + "\n".join(lines)
        ) from None


async def load(conn: asyncpg.Connection, *, data: HolidayYearFile, actor: str = "cli") -> str:
    """Store the year (audited); refuse a year the package publishes: its data is the reference."""
    if data.year in {y.year for y in library_years()}:
        raise SystemExit(
            f"kuaichu: {data.year} is published by the chinesecalendar package; nothing loaded"
        )
    year = HolidayYear(
        data.year, frozenset(data.holidays), frozenset(data.workdays), data.source.title
    )
    async with conn.transaction():
        replaced = await repo.store_holiday_year(
            conn,
            year=year,
            title=data.source.title,
            number=data.source.number,
            issued=data.source.date,
            loaded_by=actor,
        )
        await record(
            conn,
            AuditEvent(
                "holiday_year",
                str(data.year),
                "replaced" if replaced else "loaded",
                ("staff", actor),
                None,
                {
                    "source": {
                        "before": None,
                        "after": {
                            "title": data.source.title,
                            "number": data.source.number,
                            "date": data.source.date.isoformat(),
                        },
                    }
                },
            ),
        )
    verb = "replaced" if replaced else "loaded"
    return (
        f"{verb} {data.year}: {len(data.holidays)} holidays, {len(data.workdays)} make-up working days "
        f"({data.source.title}, {data.source.number}); provisional deadlines in {data.year} are now final"
    )


async def show(conn: asyncpg.Connection) -> list[dict[str, object]]:
    calendar = await repo.holiday_calendar(conn)
    return [
        {
            "year": y.year,
            "holidays": len(y.holidays),
            "workdays": len(y.workdays),
            "source": y.source,
        }
        for y in sorted(calendar.years.values(), key=lambda y: y.year)
    ]


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.calendar_command == "load":
        data = read_file(args.file)
        print(with_conn(settings, lambda conn: load(conn, data=data)))
        return 0
    for row in with_conn(settings, show):
        print(json.dumps(row, ensure_ascii=False, default=str))
    print(
        f"years after {max(y.year for y in library_years())} are not published yet: deadlines in them are "
        f"provisional (weekends only) until loaded; today is {date.today().isoformat()}"
    )
    return 0
