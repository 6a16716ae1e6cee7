"""A private Virtuoso Open Source instance for tests and benchmarks (never the system one).

Creates a database directory under a temporary folder with its own ``virtuoso.ini`` (SQL
port and HTTP port on free loopback ports, nothing else listening), starts
``virtuoso-t +foreground``, waits until the SPARQL endpoint answers, sets a test DBA
password through ``isql`` and stops the server at the end (SIGTERM, then SIGKILL).

Writes go to ``/sparql-auth`` with HTTP digest authentication as ``dba``, whose role set
includes SPARQL_UPDATE on Virtuoso 7.2. The anonymous ``/sparql`` endpoint stays read-only.

    .venv/bin/python -m tests.virtuoso_server     # start one, print its settings, wait

Debian's package (``apt-get install virtuoso-opensource``) provides ``/usr/bin/virtuoso-t``
and ``/usr/bin/isql-vt``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

VIRTUOSO = os.environ.get("VIRTUOSO_BIN", "virtuoso-t")
ISQL = os.environ.get("VIRTUOSO_ISQL", "isql-vt")
TEST_PASSWORD = "plangraphtest"  # a throwaway instance on loopback only

INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {db}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxQueryMem = 1G
TransactionAfterImageLimit = 1500000000
ThreadsPerQuery = 4
AsyncQueueMaxThreads = 10
VADInstallDir = /usr/share/virtuoso-opensource-7/vad/

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
MaxClientConnections = 20
ServerThreads = 20
MaxKeepAlives = 10
KeepAliveTimeout = 10
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = 120
MaxSortedTopRows = {max_rows}
DeferInferenceRulesInit = 0
"""


def available() -> bool:
    return shutil.which(VIRTUOSO) is not None and shutil.which(ISQL) is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Virtuoso:
    http_port: int
    sql_port: int
    password: str
    folder: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_endpoint(self) -> str:
        return self.base + "/sparql"

    @property
    def update_endpoint(self) -> str:
        return self.base + "/sparql-auth"

    @property
    def store_url(self) -> str:
        """The URL for ``plangraph serve --store``."""
        return "sparql+" + self.query_endpoint

    def env(self) -> dict[str, str]:
        """The environment for ``plangraph publish`` / ``serve`` against this instance."""
        return {
            "PLANGRAPH_REMOTE_USER": "dba",
            "PLANGRAPH_REMOTE_PASSWORD": self.password,
            "PLANGRAPH_UPDATE_ENDPOINT": self.update_endpoint,
        }

    def isql(self, *statements: str, timeout: float = 60) -> str:
        """Run SQL statements through isql as dba; raise on an error."""
        script = "".join(s.rstrip().rstrip(";") + ";\n" for s in statements)
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", self.password],
            input=script,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql failed: {done.stdout}\n{done.stderr}")
        return done.stdout


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"virtuoso-t exited ({proc.returncode}):\n{text[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            r = httpx.get(url, params={"query": "ASK {}"}, timeout=2)
            if r.status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"Virtuoso did not answer at {url} within {timeout:g} s")
        time.sleep(0.2)


@contextlib.contextmanager
def running_virtuoso(
    folder: Path | None = None, password: str = TEST_PASSWORD, memory_mb: int = 1024
) -> Iterator[Virtuoso]:
    """A fresh Virtuoso on free loopback ports, stopped (and its files removed) at the end."""
    if not available():
        raise RuntimeError(f"{VIRTUOSO} / {ISQL} not found: apt-get install virtuoso-opensource")
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="virtuoso-")))
        folder.mkdir(parents=True, exist_ok=True)
        http_port, sql_port = free_port(), free_port()
        buffers = max(10_000, memory_mb * 1024 * 1024 // 8700 * 2 // 3)
        (folder / "virtuoso.ini").write_text(
            INI.format(
                db=folder,
                sql_port=sql_port,
                http_port=http_port,
                buffers=buffers,
                dirty=buffers * 3 // 4,
                max_rows=2_000_000,
            )
        )
        log = folder / "virtuoso.log"
        out = (folder / "stdout.log").open("wb")
        stack.callback(out.close)
        proc = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(folder / "virtuoso.ini")],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def stop() -> None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

        stack.callback(stop)
        _wait_http(f"http://127.0.0.1:{http_port}/sparql", proc, log, 120)
        server = Virtuoso(http_port, sql_port, "dba", folder)
        if password != "dba":  # a new database's dba password is "dba": change it first
            server.isql(f"set password dba {password}")
            server = Virtuoso(http_port, sql_port, password, folder)
        yield server


def main() -> int:
    with running_virtuoso(password=os.environ.get("VIRTUOSO_PASSWORD", TEST_PASSWORD)) as v:
        print(f"Virtuoso at {v.query_endpoint} (SQL port {v.sql_port}), data in {v.folder}")
        print(f"plangraph serve --store {v.store_url}")
        for k, val in v.env().items():
            print(f"export {k}={val}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
