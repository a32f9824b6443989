"""A throwaway PostgreSQL 15 cluster for the tests, from the machine's binaries.

`postgres_cluster()` finds ``initdb`` and ``pg_ctl`` of PostgreSQL 15
(``/usr/lib/postgresql/15/bin``, or ``$SUPPORT_KPI_PG_BINDIR``), installing
the Debian package ``postgresql-15`` with apt-get when they are missing and
the process may (root). It creates a cluster in a temporary folder, starts
it on a free loopback port (TCP on 127.0.0.1 only, password authentication),
creates the warehouse role and database and the dashboards' read-only role,
yields the connection settings, and always stops the cluster and deletes
the folder. initdb refuses to run as root, so as root the server runs as the
``postgres`` user of the Debian package (or a system user created for it).

Anything missing raises `ClusterError` with what to do: the tests fail
loudly rather than skip.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_VERSION = "15"
DEBIAN_PACKAGE = f"postgresql-{PG_VERSION}"
DEFAULT_BINDIR = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
SERVICE_USER = "postgres"
DATABASE = "support_kpi"
OWNER = "support_kpi"
READER = "bi_reader"


class ClusterError(RuntimeError):
    """The cluster could not be provided; the message says why and what to do."""


@dataclass(frozen=True)
class Cluster:
    host: str
    port: int
    database: str
    owner: str
    owner_password: str
    reader: str
    reader_password: str
    superuser: str
    superuser_password: str
    data_dir: Path

    def params(self, role: str = "owner") -> dict[str, str | int]:
        """psycopg2 keywords for the owner, the reader or the superuser."""
        user, password = {
            "owner": (self.owner, self.owner_password),
            "reader": (self.reader, self.reader_password),
            "superuser": (self.superuser, self.superuser_password),
        }[role]
        return {
            "host": self.host,
            "port": self.port,
            "user": user,
            "password": password,
            "dbname": self.database,
        }

    def env(self, schema: str = "analytics") -> dict[str, str]:
        """The variables the postgres target of profiles.yml and the loader read."""
        return {
            "SUPPORT_KPI_PG_HOST": self.host,
            "SUPPORT_KPI_PG_PORT": str(self.port),
            "SUPPORT_KPI_PG_USER": self.owner,
            "SUPPORT_KPI_PG_PASSWORD": self.owner_password,
            "SUPPORT_KPI_PG_DBNAME": self.database,
            "SUPPORT_KPI_PG_SCHEMA": schema,
            "SUPPORT_KPI_BI_READER_ROLE": self.reader,
        }


def find_bindir(install: bool = True) -> Path:
    """The bin folder of PostgreSQL 15, installed from Debian packages if missing."""
    candidates = (
        [Path(os.environ["SUPPORT_KPI_PG_BINDIR"])] if "SUPPORT_KPI_PG_BINDIR" in os.environ else []
    )
    candidates.append(DEFAULT_BINDIR)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    if not install:
        raise ClusterError(f"PostgreSQL {PG_VERSION} binaries not found in {DEFAULT_BINDIR}")
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ClusterError(
            f"PostgreSQL {PG_VERSION} server binaries are missing ({DEFAULT_BINDIR}/initdb) and "
            f"cannot be installed here (needs root and apt-get): run "
            f"`apt-get install {DEBIAN_PACKAGE}` or set SUPPORT_KPI_PG_BINDIR."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install_command = ["apt-get", "install", "-y", "--no-install-recommends", DEBIAN_PACKAGE]
    result = subprocess.run(install_command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        # The package lists may be missing or stale: refresh them once.
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True)
        result = subprocess.run(install_command, env=env, capture_output=True, text=True)
    if result.returncode != 0 or not (DEFAULT_BINDIR / "initdb").is_file():
        raise ClusterError(
            f"installing {DEBIAN_PACKAGE} with apt-get failed:\n{result.stdout[-2000:]}"
            f"{result.stderr[-2000:]}"
        )
    return DEFAULT_BINDIR


def _service_user() -> str | None:
    """The OS user the server runs as: None (this user) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


def _run(command: list[str], user: str | None, **kwargs) -> subprocess.CompletedProcess[str]:
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sql(cluster: Cluster, statements: list[str]) -> None:
    import psycopg2

    connection = psycopg2.connect(**{**cluster.params("superuser"), "dbname": "postgres"})
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


@contextlib.contextmanager
def postgres_cluster(attempts: int = 3) -> Iterator[Cluster]:
    """A running throwaway cluster with the warehouse database; stopped on exit."""
    bindir = find_bindir()
    user = _service_user()
    base = Path(tempfile.mkdtemp(prefix="support_kpi_pg_"))
    data_dir = base / "data"
    started = False
    try:
        data_dir.mkdir()
        if user is not None:
            uid = pwd.getpwnam(user).pw_uid
            os.chown(base, uid, -1)
            os.chown(data_dir, uid, -1)
        superuser_password = "support-kpi-test-superuser"
        password_file = base / "superuser_password"
        password_file.write_text(superuser_password + "\n")
        if user is not None:
            os.chown(password_file, pwd.getpwnam(user).pw_uid, -1)
        result = _run(
            [
                str(bindir / "initdb"),
                "--pgdata",
                str(data_dir),
                "--username",
                "postgres",
                "--pwfile",
                str(password_file),
                "--auth-local",
                "trust",
                "--auth-host",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                # C.UTF-8: lower() knows Cyrillic, and text sorts by code point as in DuckDB.
                "--locale",
                "C.UTF-8",
                "--no-sync",
            ],
            user,
        )
        if result.returncode != 0:
            raise ClusterError(f"initdb failed:\n{result.stdout}{result.stderr}")
        password_file.unlink()
        for attempt in range(attempts):
            port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {base}"
                # A throwaway cluster: durability is not wanted, speed is.
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                # JIT compiles the parsers' large expressions for a few
                # thousand rows: slower than running them (README).
                " -c jit=off -c TimeZone=UTC"
            )
            result = _run(
                [
                    str(bindir / "pg_ctl"),
                    "--pgdata",
                    str(data_dir),
                    "--options",
                    options,
                    "--log",
                    str(base / "server.log"),
                    "--wait",
                    "--timeout",
                    "60",
                    "start",
                ],
                user,
            )
            if result.returncode == 0:
                started = True
                break
            if attempt == attempts - 1:
                log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
                raise ClusterError(
                    f"pg_ctl start failed:\n{result.stdout}{result.stderr}\n{log[-3000:]}"
                )
        cluster = Cluster(
            host="127.0.0.1",
            port=port,
            database=DATABASE,
            owner=OWNER,
            owner_password="support-kpi-test-owner",
            reader=READER,
            reader_password="support-kpi-test-reader",
            superuser="postgres",
            superuser_password=superuser_password,
            data_dir=data_dir,
        )
        _sql(
            cluster,
            [
                f"create role {OWNER} login password '{cluster.owner_password}'",
                f"create database {DATABASE} owner {OWNER} template template0",
                # What an administrator does in production (README): a login
                # role for dashboards; dbt grants it the rest.
                f"create role {READER} login password '{cluster.reader_password}'",
            ],
        )
        yield cluster
    finally:
        if started:
            _run(
                [
                    str(bindir / "pg_ctl"),
                    "--pgdata",
                    str(data_dir),
                    "--mode",
                    "fast",
                    "--wait",
                    "stop",
                ],
                user,
            )
        shutil.rmtree(base, ignore_errors=True)
