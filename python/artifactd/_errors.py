"""The exceptions serve() and the plugin raise: one base class, so a test
suite can catch everything artifactd-specific at once."""

from __future__ import annotations


class ArtifactdError(Exception):
    """Base class of every error the artifactd package raises."""


class BinaryNotFound(ArtifactdError):
    """No artifactd executable where serve() looked."""


class StartupTimeout(ArtifactdError):
    """The server did not answer /api/health within the start-up timeout."""


class ServerExited(ArtifactdError):
    """The server process is gone (it died, or failed to start)."""

    def __init__(self, message: str, returncode: int | None = None, log: list[str] | None = None):
        super().__init__(message)
        self.returncode = returncode
        self.log = list(log or [])


class FixtureError(ArtifactdError):
    """The server refused a fixture document (its 422 detail is kept)."""

    def __init__(self, message: str, fixture: str | None = None, detail=None):
        super().__init__(message)
        self.fixture = fixture
        self.detail = detail


class RequestError(ArtifactdError):
    """An admin request to the server failed for another reason."""

    def __init__(self, message: str, status: int | None = None, body: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = body
