"""Pointing Prefect's client at a server, through Prefect's own settings
mechanism, and draining its background workers. Prefect is imported here
only, and only when present: serve() works without it."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
from typing import Iterator


def available() -> bool:
    try:
        import prefect.settings  # noqa: F401
    except ImportError:
        return False
    return True


def require() -> None:
    if not available():
        raise ImportError(
            "this part of artifactd needs Prefect (pip install prefect, or pip install 'artifactd[prefect]')"
        )


@contextlib.contextmanager
def settings(api_url: str, auth_string: str | None = None) -> Iterator[None]:
    """PREFECT_API_URL (and PREFECT_API_AUTH_STRING) for the block, as
    prefect_test_harness sets them, so get_client() and @flow use them."""
    import prefect.context
    import prefect.settings

    updates = {prefect.settings.PREFECT_API_URL: api_url}
    if auth_string is not None:
        updates[prefect.settings.PREFECT_API_AUTH_STRING] = auth_string
    with contextlib.ExitStack() as stack:
        stack.enter_context(prefect.settings.temporary_settings(updates=updates))
        # Also the process-global settings context (for contexts copied
        # before the block, e.g. unittest.IsolatedAsyncioTestCase).
        global_ctx = getattr(prefect.context, "_temporary_global_settings_context", None)
        if global_ctx is not None:
            stack.enter_context(global_ctx(prefect.context.get_settings_context()))
        yield


DRAIN_TIMEOUT = 30.0


def _workers() -> tuple:
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    return APILogWorker, EventsWorker


async def _drain_async() -> None:
    # drain_all stops only the instances that exist (instance() would start
    # a new one), so a test that logged nothing pays nothing.
    for worker in _workers():
        result = worker.drain_all(timeout=DRAIN_TIMEOUT, at_exit=False)
        if inspect.isawaitable(result):
            await result


def drain() -> None:
    """Sends what the log and event workers still hold, before the server
    goes (or is reset): else it lands in the next test, or is lost."""
    if "prefect" not in sys.modules:
        return  # nothing of Prefect's ran, so nothing is queued
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        for worker in _workers():
            worker.drain_all(timeout=DRAIN_TIMEOUT, at_exit=False)
        return
    # A sync exit inside a running loop: Prefect's helper runs the
    # coroutine on a loop of its own.
    from prefect.utilities.asyncutils import run_coro_as_sync

    run_coro_as_sync(_drain_async())


async def adrain() -> None:
    if "prefect" not in sys.modules:
        return
    await _drain_async()
