"""artifactd from Python: start the server for a block of code, with
Prefect's client pointed at it.

    import artifactd

    with artifactd.serve(fixtures=["fixtures/demo.json"]) as server:
        my_flow()                      # runs against artifactd
        server.reset()                 # an empty database again

`artifactd.testing.harness()` is a drop-in for Prefect's
`prefect_test_harness()`; the pytest plugin (`artifactd.pytest_plugin`, on
when installed) gives the `artifactd` and `artifactd_server` fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import AsyncIterator, Iterable, Iterator, Sequence

from . import _prefect
from ._errors import ArtifactdError, BinaryNotFound, FixtureError, RequestError, ServerExited, StartupTimeout
from ._server import Fixture, Server, find_binary

__all__ = [
    "ArtifactdError",
    "BinaryNotFound",
    "FixtureError",
    "RequestError",
    "Server",
    "ServerExited",
    "StartupTimeout",
    "aserve",
    "find_binary",
    "prefect_settings",
    "serve",
]


@contextlib.contextmanager
def prefect_settings(server: Server) -> Iterator[Server]:
    """Points Prefect at `server` for the block (nothing without Prefect),
    and drains Prefect's log and event workers at its end."""
    if not _prefect.available():
        yield server
        return
    with _prefect.settings(server.api_url, server.auth_string):
        try:
            yield server
        finally:
            if server.alive():
                _prefect.drain()


@contextlib.contextmanager
def serve(
    fixtures: Sequence[Fixture] = (),
    db: str | os.PathLike | None = None,
    auth_string: str | None = None,
    read_only: bool = False,
    port: int | None = 0,
    startup_timeout: float = 10.0,
    binary: str | os.PathLike | None = None,
    extra_args: Iterable[str] = (),
    settings: bool = True,
) -> Iterator[Server]:
    """Runs artifactd for the block and yields its `Server`.

    The server listens on a free loopback port (`port=0`), over an
    in-memory database (`db=None`) or the file `db`, with `--testing`
    (reset/load/export) unless `read_only`. With `settings` (and Prefect
    installed) PREFECT_API_URL points at it inside the block. The process
    is stopped at the end, on exceptions and Ctrl-C too.
    """
    server = Server(
        fixtures=fixtures,
        db=db,
        auth_string=auth_string,
        read_only=read_only,
        port=port,
        startup_timeout=startup_timeout,
        binary=binary,
        extra_args=extra_args,
    )
    try:
        if settings:
            with prefect_settings(server):
                yield server
        else:
            yield server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def aserve(
    fixtures: Sequence[Fixture] = (),
    db: str | os.PathLike | None = None,
    auth_string: str | None = None,
    read_only: bool = False,
    port: int | None = 0,
    startup_timeout: float = 10.0,
    binary: str | os.PathLike | None = None,
    extra_args: Iterable[str] = (),
    settings: bool = True,
) -> AsyncIterator[Server]:
    """serve() for `async with`. Start-up runs on the loop's thread (it
    takes tens of milliseconds); loading fixtures and stopping run in a
    worker thread; Prefect's workers are drained with await."""
    # Started from the loop's own thread: a worker thread would end, and
    # Linux's parent-death signal follows the thread that started the child.
    server = Server(
        fixtures=fixtures if read_only else (),
        db=db,
        auth_string=auth_string,
        read_only=read_only,
        port=port,
        startup_timeout=startup_timeout,
        binary=binary,
        extra_args=extra_args,
    )
    try:
        if fixtures and not read_only:
            await asyncio.to_thread(server.reset, fixtures)
        if settings and _prefect.available():
            with _prefect.settings(server.api_url, server.auth_string):
                try:
                    yield server
                finally:
                    if server.alive():
                        await _prefect.adrain()
        else:
            yield server
    finally:
        await asyncio.to_thread(server.stop)
