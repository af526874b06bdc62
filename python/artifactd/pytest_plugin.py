"""pytest plugin (registered through the pytest11 entry point, so it is on
once artifactd is installed). It starts nothing unless a test asks:

- `artifactd_server` (session): one artifactd process for the session,
  with `--testing`, over an in-memory database.
- `artifactd` (function): the same server, emptied before the test (or
  loaded with the documents of `@pytest.mark.artifactd(fixtures=[...])`),
  and Prefect's PREFECT_API_URL pointed at it for the test.

Fixture paths in the marker are taken relative to the folder of the test
file; a path not found there is taken relative to pytest's rootdir.
Absolute paths are used as they are. Dicts and JSON strings are loaded
as they are.

ini options: `artifactd_binary` (else $ARTIFACTD_BIN, the environment's
scripts dir, PATH), `artifactd_startup_timeout` (seconds, default 10),
`artifactd_args` (extra `serve` arguments).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import pytest

MARKER = "artifactd"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("artifactd_binary", "path of the artifactd executable for the artifactd fixtures", default="")
    parser.addini("artifactd_startup_timeout", "seconds to wait for artifactd to start", default="10")
    parser.addini("artifactd_args", "extra arguments for `artifactd serve`", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixtures=[...]): load these fixture documents into the `artifactd` fixture's "
        "database for this test (paths relative to the test file's folder, else to the rootdir)",
    )


def _resolve(item: Any, test_dir: Path, rootdir: Path) -> Any:
    if not isinstance(item, (str, os.PathLike)) or (isinstance(item, str) and item.lstrip().startswith("{")):
        return item
    path = Path(item)
    if path.is_absolute():
        return path
    for base in (test_dir, rootdir):
        if (base / path).exists():
            return base / path
    # Not found anywhere: report it against the test's folder.
    return test_dir / path


def _marked_fixtures(request: pytest.FixtureRequest) -> list:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return []
    items = list(marker.args) + list(marker.kwargs.get("fixtures", ()))
    unknown = set(marker.kwargs) - {"fixtures"}
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: unknown argument(s) {sorted(unknown)} (only fixtures=)")
    test_dir = Path(request.node.path).parent
    rootdir = Path(str(request.config.rootpath))
    return [_resolve(i, test_dir, rootdir) for i in items]


@pytest.fixture(scope="session")
def artifactd_server(request: pytest.FixtureRequest):
    """One artifactd process for the whole session (no Prefect settings:
    the `artifactd` fixture applies those per test)."""
    from . import serve

    config = request.config
    binary = config.getini("artifactd_binary") or None
    timeout = float(config.getini("artifactd_startup_timeout") or 10)
    extra = shlex.split(config.getini("artifactd_args") or "")
    with serve(startup_timeout=timeout, binary=binary, extra_args=extra, settings=False) as server:
        yield server


@pytest.fixture
def artifactd(artifactd_server, request: pytest.FixtureRequest):
    """The session's server, reset for this test, with Prefect pointed at it."""
    from . import prefect_settings

    # A dead server fails here, with its exit code and last log lines.
    artifactd_server._check_alive("the session's artifactd server has exited")
    artifactd_server.reset(_marked_fixtures(request))
    with prefect_settings(artifactd_server) as server:
        yield server
