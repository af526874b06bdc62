"""A pytest plugin (`-p artifactd_plugin`) that runs Prefect 3.9.1's own
server test files against artifactd over HTTP instead of Prefect's
in-process app and database.

- `client`: an httpx.AsyncClient on one artifactd for the run
  (`target/debug/artifactd serve --db :memory:`); before each test every
  artifact is deleted through the API, the part of Prefect's `clear_db`
  (an empty database per test) these tests depend on.
- The database fixtures those files use (`flow`, `flow_run`, `task_run`,
  `deployment`) are created through artifactd's HTTP API with the bodies
  Prefect's fixtures give its models, and returned as Prefect's own server
  schema objects (attribute access, as the ORM rows are used).
- `session`: artifactd has no SQLAlchemy session to give; a stand-in whose
  only use is the model reads the artifact tests make
  (models.artifacts.count_artifacts / read_artifact / read_latest_artifact),
  answered through the HTTP API. Any other use of it fails loudly.
- async tests and fixtures run on anyio's pytest plugin (no pytest-asyncio
  is needed).
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import e2e_lib as lib  # noqa: E402


def pytest_configure(config):
    for marker in ("clear_db", "service", "unclear_db"):
        config.addinivalue_line("markers", f"{marker}: Prefect's marker (no meaning against artifactd)")


@pytest.fixture(autouse=True)
def anyio_backend():
    return "asyncio"


class Target:
    def __init__(self, api: str):
        self.api = api


@pytest.fixture(scope="session")
def artifactd(tmp_path_factory):
    """One artifactd for the file; or, with ARTIFACTD_SUITE_TARGET=<an /api
    URL>, that server (used to run the same file against a live Prefect
    server, which shows the fixtures here are faithful)."""
    target = os.environ.get("ARTIFACTD_SUITE_TARGET")
    if target:
        yield Target(target.rstrip("/"))
        return
    server = lib.Server(tmp_path_factory.mktemp("artifactd"))
    try:
        yield server
    finally:
        server.stop()


async def _delete_all_artifacts(client) -> None:
    """The stand-in for `clear_db`: the file's tests count and list every
    artifact, and only artifacts (flows and runs they find by id or name),
    so each test starts with none."""
    while True:
        r = await client.post("artifacts/filter", json={"limit": 200})
        assert r.status_code == 200, r.text
        if not r.json():
            return
        for row in r.json():
            d = await client.delete(f"artifacts/{row['id']}")
            assert d.status_code == 204, d.text


@pytest.fixture
async def client(artifactd):
    async with httpx.AsyncClient(base_url=artifactd.api + "/", timeout=30) as c:
        await _delete_all_artifacts(c)
        yield c


async def _created(client, path: str, body: dict, schema):
    r = await client.post(path, json=body)
    assert r.status_code in (200, 201), f"POST {path} {body} -> {r.status_code} {r.text}"
    return schema.model_validate(r.json())


@pytest.fixture
async def flow(client):
    from prefect.server import schemas

    return await _created(client, "flows/", {"name": f"my-flow-{uuid.uuid4()}"}, schemas.core.Flow)


@pytest.fixture
async def flow_run(client, flow):
    from prefect.server import schemas

    return await _created(
        client, "flow_runs/", {"flow_id": str(flow.id), "flow_version": "0.1"}, schemas.core.FlowRun
    )


@pytest.fixture
async def task_run(client, flow_run):
    from prefect.server import schemas

    body = {"flow_run_id": str(flow_run.id), "task_key": "my-key", "dynamic_key": "0"}
    return await _created(client, "task_runs/", body, schemas.core.TaskRun)


@pytest.fixture
async def deployment(client, flow):
    """Prefect's fixture also attaches a storage block and a work queue of
    a work pool; artifactd has neither, so the deployment carries the rest
    of that body (name, tags, schedule, path, entrypoint)."""
    from prefect.server import schemas

    body = {
        "name": f"my-deployment-{uuid.uuid4()}",
        "tags": ["test"],
        "flow_id": str(flow.id),
        "schedules": [
            {"schedule": {"interval": 86400, "anchor_date": "2020-01-01T00:00:00"}, "active": True}
        ],
        "path": "./subdir",
        "entrypoint": "/file.py:flow",
    }
    return await _created(client, "deployments/", body, schemas.core.Deployment)


class HttpSession:
    """What the artifact tests do with a database session, over HTTP."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client

    def __getattr__(self, name):
        raise AttributeError(f"artifactd is reached over HTTP: a test used session.{name}")


@pytest.fixture
async def session(client, monkeypatch):
    from prefect.server import schemas
    from prefect.server.models import artifacts as models

    stand_in = HttpSession(client)

    def over_http(original, answer):
        async def call(*args, session=None, **kwargs):
            if session is stand_in:
                return await answer(**kwargs)
            return await original(*args, session=session, **kwargs)

        return call

    async def count_artifacts(**filters):
        if any(v is not None for v in filters.values()):
            raise NotImplementedError(f"count_artifacts with {filters} over HTTP")
        r = await client.post("artifacts/count", json={})
        assert r.status_code == 200, r.text
        return r.json()

    async def read_artifact(artifact_id):
        r = await client.get(f"artifacts/{artifact_id}")
        return schemas.core.Artifact.model_validate(r.json()) if r.status_code == 200 else None

    async def read_latest_artifact(key):
        r = await client.get(f"artifacts/{key}/latest")
        return schemas.core.Artifact.model_validate(r.json()) if r.status_code == 200 else None

    monkeypatch.setattr(models, "count_artifacts", over_http(models.count_artifacts, count_artifacts))
    monkeypatch.setattr(models, "read_artifact", over_http(models.read_artifact, read_artifact))
    monkeypatch.setattr(
        models, "read_latest_artifact", over_http(models.read_latest_artifact, read_latest_artifact)
    )
    return stand_in
