"""A local RFC 3161 time-stamping authority for development and tests: `openssl ts -reply` behind an aiohttp
route. It makes its own root CA and a signing certificate (extended key usage timeStamping, critical) on first
use, under a directory of its own; `ca.crt` is what a verifier trusts. Never a production authority: its key
lies on disk unprotected, and its clock is this machine's.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from pathlib import Path

from aiohttp import web

from kernel.timestamping import QUERY_TYPE, REPLY_TYPE

_CONFIG = """\
[ tsa ]
default_tsa = local_tsa

[ local_tsa ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.57264.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)  # noqa: S607 - openssl on PATH


def make_authority(directory: Path) -> Path:
    """Create the authority's keys, certificates and configuration once; return its openssl config file."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "tsa.cnf"
    if config.exists() and (directory / "tsa.crt").exists():
        return config
    d = directory
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "3650",
        "-subj",
        "/O=kuaichu development/CN=Local TSA root",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )
    _openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        "/O=kuaichu development/CN=Local time-stamping authority",
        cwd=d,
    )
    (d / "tsa.ext").write_text(_EXTENSIONS, encoding="ascii")
    _openssl(
        "x509",
        "-req",
        "-in",
        "tsa.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "tsa.crt",
        "-days",
        "3650",
        "-extfile",
        "tsa.ext",
        cwd=d,
    )
    (d / "serial").write_text("01\n", encoding="ascii")
    config.write_text(_CONFIG.format(dir=d.resolve()), encoding="utf-8")
    return config


class LocalAuthority:
    """Answers time-stamp queries one at a time (openssl increments its serial file)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.config = make_authority(directory)
        self.lock = asyncio.Lock()

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def signer_file(self) -> Path:
        return self.directory / "tsa.crt"

    async def reply(self, query: bytes) -> bytes | None:
        async with self.lock:
            with tempfile.TemporaryDirectory() as tmp:
                q, r = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
                q.write_bytes(query)
                proc = await asyncio.create_subprocess_exec(
                    "openssl",
                    "ts",
                    "-reply",
                    "-config",
                    str(self.config),
                    "-queryfile",
                    str(q),
                    "-out",
                    str(r),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                await proc.wait()
                return r.read_bytes() if proc.returncode == 0 and r.exists() else None

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_type != QUERY_TYPE:
            return web.Response(status=415, text=f"send {QUERY_TYPE}")
        query = await request.content.read(64 * 1024)
        answer = await self.reply(query)
        if answer is None:
            return web.Response(status=400, text="not a time-stamp query openssl accepts")
        return web.Response(body=answer, content_type=REPLY_TYPE)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/", self.handle)
        app.router.add_get("/ca.crt", self.root_certificate)
        return app

    async def root_certificate(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(self.ca_file)
