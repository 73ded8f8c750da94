"""ec112.lab.postgres: which server a run uses, and the private cluster of a host without one (really started)."""

from __future__ import annotations

import socket

import asyncpg
import pytest

from ec112.lab.postgres import PrivateCluster, create_database, drop_database, find_server


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nobody listens once the socket is closed


def test_the_dsn_from_the_environment_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EC112_TEST_PG_DSN", "postgresql://ec112@db.example:6543/ec112")
    server = find_server()
    assert server is not None
    assert (server.admin_dsn, server.private) == ("postgresql://ec112@db.example:6543/ec112", False)
    assert server.url("x") == "postgresql+asyncpg://ec112@db.example:6543/x"


def test_no_server_answering_means_none_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EC112_TEST_PG_DSN", raising=False)
    monkeypatch.setenv("EC112_TEST_PG_PROBE", f"127.0.0.1:{_closed_port()}")
    assert find_server() is None


async def test_a_private_cluster_serves_on_loopback_and_is_gone_after_stop() -> None:
    cluster = PrivateCluster()
    try:
        server = cluster.start()
        assert server.private
        assert server.admin_dsn == f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
        url = await create_database(server, "ec112_lab")
        assert url == f"postgresql+asyncpg://postgres@127.0.0.1:{cluster.port}/ec112_lab"
        conn = await asyncpg.connect(server.dsn("ec112_lab"), timeout=10)  # trust auth, no password
        try:
            assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
        finally:
            await conn.close()
        await drop_database(server, "ec112_lab")
    finally:
        cluster.stop()
    assert not cluster.root.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", cluster.port), timeout=1).close()
