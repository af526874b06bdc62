"""A server started with Prefect's basic-auth string: Prefect's own client
works with PREFECT_API_AUTH_STRING set, and is refused without it."""

import subprocess
import sys

import httpx
import pytest

from e2e_lib import FLOW, FLOW_TIMEOUT, Server, prefect_env

AUTH = "admin:correct-horse"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("auth-logs"), extra_args=("--auth-string", AUTH))
    yield s
    s.stop()


def run(api: str, home, auth: str | None):
    env = prefect_env(api, home)
    if auth is not None:
        env["PREFECT_API_AUTH_STRING"] = auth
    return subprocess.run([sys.executable, str(FLOW)], env=env, capture_output=True, text=True, timeout=FLOW_TIMEOUT)


def test_health_stays_open_and_the_api_needs_the_string(auth_server):
    assert httpx.get(f"{auth_server.api}/health").json() is True
    r = httpx.post(f"{auth_server.api}/artifacts/filter", json={})
    assert r.status_code == 401
    assert r.json() == {"exception_message": "Unauthorized"}
    r = httpx.post(f"{auth_server.api}/artifacts/filter", json={}, auth=tuple(AUTH.split(":", 1)))
    assert r.status_code == 200


def test_the_sdk_flow_completes_with_the_auth_string(auth_server, tmp_path):
    proc = run(auth_server.api, tmp_path, AUTH)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r = httpx.post(f"{auth_server.api}/artifacts/count", json={}, auth=tuple(AUTH.split(":", 1)))
    assert r.json() > 0


def test_the_sdk_flow_is_refused_without_it(auth_server, tmp_path):
    proc = run(auth_server.api, tmp_path, None)
    assert proc.returncode != 0
    assert "401" in proc.stdout + proc.stderr
