"""What gunicorn lets through (config/gunicorn.conf.py): the requests the API can receive reach it end to end."""

import socket
import uuid

import pytest
import requests
from django.db import connection

from identity.testing.live import database_url, gunicorn
from identity.testing.tokens import make_token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(django_db_setup):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (a database the gunicorn worker shares)")
    with gunicorn({"DATABASE_URL": database_url()}, workers=1, config=True) as (url, _log):
        yield url


def test_a_10000_character_query_works_end_to_end(server, company_a, make_user):
    user = make_user(company_a, f"long-{uuid.uuid4().hex[:8]}@acme.test")
    search = "x" * 10_000
    response = requests.get(
        f"{server}/users", params={"search": search}, timeout=30, cookies={"access_token": make_token(user)}
    )
    assert len(response.request.url) > 10_000
    assert response.status_code == 200, response.text[:300]
    assert response.json()["data"] == []  # the API read the whole value: no user's name holds 10,000 x's


def test_a_16_kib_cookie_header_reaches_the_api(server, company_a, make_user):
    user = make_user(company_a, f"cookie-{uuid.uuid4().hex[:8]}@acme.test")
    cookies = {"access_token": make_token(user), "front_end_state": "y" * 15_000}
    response = requests.get(f"{server}/users/{user.pk}", cookies=cookies, timeout=30)
    assert response.status_code == 200, response.text[:300]


def test_a_malformed_content_length_remains_the_servers_refusal(server):
    host, port = server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"POST /verify_password HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ten\r\n\r\n")
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400")


@pytest.mark.django_db(transaction=False)
def test_the_server_parses_requests_with_the_compiled_parser(monkeypatch, tmp_path):
    """config/gunicorn.conf.py leaves nothing that makes gunicorn fall back to its Python parser (the limits above
    are checked through it)."""
    import runpy

    from gunicorn.config import Config
    from gunicorn.http.message import _check_fast_parser

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # the file would otherwise make a directory
    cfg = Config()
    for name, value in runpy.run_path("config/gunicorn.conf.py").items():
        if name in cfg.settings:
            cfg.set(name, value)
    assert cfg.http_parser == "auto"
    assert _check_fast_parser(cfg) is True
