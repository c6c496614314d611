"""A real, throwaway PostgreSQL server for the tests that share a study (sweep and tune), never
mocked: the fixture `postgres_url`, registered for every test by tests/conftest.py.

The server binaries come from PATH or Debian's /usr/lib/postgresql/<version>/bin; `make test` run as
root installs Debian's `postgresql` package when they are missing. PostgreSQL refuses to run as root,
so under root the server runs as the `postgres` system user that the package creates.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
PG_USER = "lrkit"
PG_DATABASE = "lrkit_test"


def find_pg_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: PATH first, then the newest Debian install."""
    on_path = shutil.which("initdb")
    candidates = [Path(os.path.realpath(on_path)).parent] if on_path else []

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in SERVER_BINARIES):
            return bindir
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(log: Path, lines: int = 30) -> str:
    """The last lines of the server log, or a note that there is none."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log was written)"


class PgServer:
    """Runs the server's own commands, as the `postgres` user when we are root."""

    def __init__(self, bindir: Path, base: Path, run_as: pwd.struct_passwd | None) -> None:
        self.bindir = bindir
        self.base = base
        self.data = base / "data"
        self.log = base / "server.log"
        self.run_as = run_as
        self.port = free_port()

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of the server binaries; never raises, the caller checks the return code."""
        user = self.run_as
        env = {**os.environ, "LC_ALL": "C", "HOME": str(self.base)}
        return subprocess.run(
            [str(self.bindir / tool), *args],
            cwd=self.base,  # the postgres user may not be able to enter our working directory
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )

    def start(self) -> None:
        """initdb a fresh cluster and start it on 127.0.0.1:port; raise with the log on failure."""
        initdb = ["-D", str(self.data), "-A", "trust", "-U", PG_USER, "-E", "UTF8", "--locale=C"]
        if "--no-sync" in self.run("initdb", "--help").stdout:
            initdb.append("--no-sync")
        result = self.run("initdb", *initdb)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}{result.stderr}")

        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off"
        result = self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        if result.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL did not start on 127.0.0.1:{self.port} ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}\n--- tail of {self.log} ---\n{log_tail(self.log)}"
            )

    def stop(self) -> None:
        """Stop the server at once; the data directory is thrown away anyway."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self, name: str) -> None:
        """CREATE DATABASE over TCP, as the superuser initdb made."""
        import psycopg

        # CREATE DATABASE cannot run inside a transaction, hence autocommit.
        with psycopg.connect(host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of an empty database on a private PostgreSQL server, stopped after the session.

    Spelled `postgresql://` as README and `--help` show it, with the driver `lrkit[postgres]` installs."""
    pytest.importorskip("psycopg", reason="pip install 'lrkit[postgres]' (the dev extra has it)")
    bindir = find_pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server (initdb, pg_ctl) not found; run `make test` as root to install it")

    run_as = None
    if os.geteuid() == 0:
        try:
            run_as = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root needs the 'postgres' system user (Debian's postgresql package)")
        # pytest's own temp root is private to root (0700), so the postgres user could not reach a
        # folder inside it: use a fresh folder directly under the system temp dir, owned by postgres.
        base = Path(tempfile.mkdtemp(prefix="lrkit-postgres-"))
        os.chown(base, run_as.pw_uid, run_as.pw_gid)
    else:
        base = tmp_path_factory.mktemp("postgres")

    server = PgServer(bindir, base, run_as)
    try:
        server.start()
        server.create_database(PG_DATABASE)
        yield f"postgresql://{PG_USER}@127.0.0.1:{server.port}/{PG_DATABASE}"
    finally:
        server.stop()
        if run_as is not None:
            shutil.rmtree(base, ignore_errors=True)
