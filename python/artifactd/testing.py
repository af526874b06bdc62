"""A drop-in for `prefect.testing.utilities.prefect_test_harness()`.

    from artifactd.testing import harness as prefect_test_harness

    with prefect_test_harness():
        assert my_flow() == "Done!"

Same call shape (a context manager, `server_startup_timeout`), but the
server is artifactd over an in-memory database, so it is up in tens of
milliseconds. It yields the `artifactd.Server` (Prefect's yields None).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from . import _prefect
from ._server import Server
from . import serve


@contextlib.contextmanager
def harness(server_startup_timeout: int | float | None = 30) -> Iterator[Server]:
    _prefect.require()
    if server_startup_timeout is None:
        # As Prefect's harness does: the ephemeral server's own setting.
        import prefect.settings

        server_startup_timeout = prefect.settings.PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
    with serve(startup_timeout=float(server_startup_timeout)) as server:
        yield server


prefect_test_harness = harness
