"""Two servers with the same demo data for the Prefect-UI browser tests:
artifactd (`--fixtures fixtures/demo.json --prefect-ui <this venv's prefect
package>`) and a live `prefect server start` whose SQLite database is
written from the same fixture by bench/seed_reference.py, so every id,
name, state and timestamp is the same on both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

import e2e_lib as lib

DEMO = lib.REPO / "fixtures" / "demo.json"
SEED = lib.REPO / "bench" / "seed_reference.py"


def prefect_package() -> Path:
    import prefect

    return Path(prefect.__file__).resolve().parent


def start_artifactd(log_dir: Path) -> lib.Server:
    """artifactd with the demo fixture and Prefect's UI from this venv. The
    late-runs service is off: the reference runs with `--no-services`, so
    its scheduled runs stay Scheduled, and they must here too."""
    old = os.environ.get("PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED")
    os.environ["PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED"] = "false"
    try:
        return lib.Server(log_dir, ("--fixtures", str(DEMO), "--prefect-ui", str(prefect_package())))
    finally:
        if old is None:
            del os.environ["PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED"]
        else:
            os.environ["PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED"] = old


class Reference:
    """`prefect server start` with its UI on, over a database seeded with
    the demo fixture. Its schema is made by a first start; the rows are
    then written while it runs (SQLite in WAL mode: the server sees them on
    its next query; it caches none of these tables)."""

    def __init__(self, tmp: Path, port: int | None = None):
        self.port = port or int(os.environ.get("ARTIFACTD_E2E_REFERENCE_PORT") or 0) or lib.free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.api = f"{self.root}/api"
        home = tmp / "prefect-home"
        home.mkdir(exist_ok=True)
        self.db = tmp / "reference.db"
        env = lib.prefect_env(self.api, home)
        del env["PREFECT_API_URL"]
        env.update(
            {
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{self.db}",
                # The UI's API address: the reference builds it from its
                # settings (default port 4200), not from `--port`.
                "PREFECT_UI_API_URL": self.api,
                # Its copies of the UI builds go here, not into the venv.
                "PREFECT_UI_STATIC_DIRECTORY": str(tmp / "ui-static"),
            }
        )
        self.log_path = tmp / "prefect-server.log"
        self._log = open(self.log_path, "wb")
        args = [lib.prefect_exe(), "server", "start", "--host", "127.0.0.1", "--port", str(self.port), "--no-services"]
        self.proc = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log_path.read_text(errors="replace"))
            try:
                if httpx.get(f"{self.api}/health", timeout=1).json() is True:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("prefect server did not start")
            time.sleep(0.3)
        seeded = subprocess.run([sys.executable, str(SEED), str(DEMO), str(self.db)], capture_output=True, text=True)
        if seeded.returncode != 0:
            self.stop()
            raise RuntimeError(f"seeding the reference failed: {seeded.stderr}")
        self._add_schedules()

    def _add_schedules(self) -> None:
        """Deployment schedules live in a table of their own, which the
        seeder does not write: they go in through the reference's API
        (their own ids differ, and no page shows them)."""
        for d in json.loads(DEMO.read_text())["deployments"]:
            body = [
                {k: s[k] for k in ("schedule", "active", "max_scheduled_runs", "parameters", "slug") if k in s}
                for s in d.get("schedules") or []
            ]
            if body:
                r = httpx.post(f"{self.api}/deployments/{d['id']}/schedules", json=body, timeout=30)
                if r.status_code != 201:
                    self.stop()
                    raise RuntimeError(f"adding the schedules of deployment {d['id']} failed: {r.status_code} {r.text}")

    def stop(self) -> None:
        lib.stop_reference(self.proc, self._log)
