"""The same session tests on PostgreSQL: the store is SQLAlchemy, so a Postgres URL in LIVESCREEN_DB works.

A throwaway cluster (initdb, loopback, trust auth) is started when this machine can: root (the
cluster runs as the ``postgres`` user), Postgres' ``initdb``/``pg_ctl`` on the PATH or in
/usr/local/bin or /usr/lib/postgresql/*/bin, and the ``psycopg`` driver. Otherwise the module is
skipped with the reason.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid

import pytest

from livescreen.sessions import store

from .helpers import free_port
from .test_session import (made, test_a_retried_send_is_recorded_once,  # noqa: F401 - collected here too
                           test_close_writes_one_total_with_hints_ratings_and_time_to_card,
                           test_purge_refuses_open_sessions_and_leaves_an_audit_line_without_personal_data,
                           test_ratings_stay_hidden_until_you_submit_yours,
                           test_the_first_card_is_never_replaced_and_early_experiments_are_marked)


def _bin(name: str) -> str | None:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    return found or (f"/usr/local/bin/{name}" if os.path.exists(f"/usr/local/bin/{name}") else None)


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root to run a throwaway cluster as the postgres user"
    if not (_bin("initdb") and _bin("pg_ctl")):
        return "no PostgreSQL server binaries (initdb, pg_ctl)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "no psycopg driver (pip install 'psycopg[binary]')"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=str(_why_not()))


@pytest.fixture(scope="module")
def cluster():
    d = tempfile.mkdtemp(prefix="livescreen-pg-")
    shutil.chown(d, "postgres")
    port = free_port()
    run = ["su", "postgres", "-s", "/bin/sh", "-c"]
    subprocess.run(run + [f"{_bin('initdb')} -D {d}/data -A trust -U postgres"], check=True, capture_output=True)
    subprocess.run(run + [f"{_bin('pg_ctl')} -D {d}/data -w -o '-p {port} -k {d} -c listen_addresses=127.0.0.1' "
                          f"-l {d}/log start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(run + [f"{_bin('pg_ctl')} -D {d}/data -m immediate stop"], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def home(tmp_path, monkeypatch, cluster):
    """A fresh database on the cluster for each test, and the files in a fresh store folder."""
    import sqlalchemy as sa
    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(f"{cluster}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    h = tmp_path / "store"
    monkeypatch.setenv("LIVESCREEN_HOME", str(h))
    monkeypatch.setenv("LIVESCREEN_DB", f"{cluster}/{name}")
    store.dispose()
    yield h
    store.dispose()


def test_the_store_really_is_postgres(home):
    """Is the engine these tests use a PostgreSQL one (not a SQLite fallback)?"""
    assert store.engine(store.home(home)).dialect.name == "postgresql"
