"""Start an artifactd process, talk to its admin endpoints, stop it.

Only the standard library: a test suite that installs artifactd gets no
other dependency. Prefect is imported lazily, by _prefect.py.
"""

from __future__ import annotations

import atexit
import base64
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union

from ._errors import BinaryNotFound, FixtureError, RequestError, ServerExited, StartupTimeout

Fixture = Union[str, "os.PathLike[str]", Mapping[str, Any], bytes]

# Whole fixture sets go through one request; the server's default body
# limit (4 MiB) is for the public API, not for a test suite's own data.
BODY_LIMIT = 512 * 1024 * 1024
LOG_LINES = 200
REQUEST_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

_SERVING = re.compile(r"artifactd serving http://(?P<host>[^\s/]+):(?P<port>\d+)/api")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# Servers still running, stopped at interpreter exit if nobody else did.
_LIVE: "weakref.WeakSet[Server]" = weakref.WeakSet()


def _stop_all_at_exit() -> None:
    for server in list(_LIVE):
        server.stop()


atexit.register(_stop_all_at_exit)


def find_binary(binary: str | os.PathLike | None = None) -> Path:
    """The executable: `binary`, $ARTIFACTD_BIN, the scripts directory of
    this Python's environment (where `pip install artifactd` puts it), PATH."""
    exe_name = "artifactd.exe" if os.name == "nt" else "artifactd"
    tried: list[str] = []
    for source, value in (("binary argument", binary), ("ARTIFACTD_BIN", os.environ.get("ARTIFACTD_BIN"))):
        if value:
            path = Path(value)
            if path.is_file() and os.access(path, os.X_OK):
                return path
            # An explicit choice that is wrong is an error, not a hint to look elsewhere.
            raise BinaryNotFound(f"artifactd executable not found: {source} is {str(value)!r}, which is not an executable file")
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        if folder:
            path = Path(folder) / exe_name
            tried.append(str(path))
            if path.is_file() and os.access(path, os.X_OK):
                return path
    found = shutil.which(exe_name)
    if found:
        return Path(found)
    raise BinaryNotFound(
        "artifactd executable not found (looked in " + ", ".join(tried) + " and on PATH); "
        "install the artifactd package, or pass binary= or set ARTIFACTD_BIN"
    )


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask Linux to send SIGTERM
    # when the thread that started us goes away (even on the parent's SIGKILL).
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:  # noqa: BLE001 - best effort; atexit is the fallback
        pass


def _fixture_bytes(fixture: Fixture) -> tuple[str, bytes]:
    """(a name for messages, the document's JSON text)."""
    if isinstance(fixture, Mapping):
        return "<dict>", json.dumps(fixture).encode()
    if isinstance(fixture, bytes):
        return "<bytes>", fixture
    if isinstance(fixture, str) and fixture.lstrip().startswith("{"):
        return "<json string>", fixture.encode()
    path = Path(fixture)
    try:
        return str(path), path.read_bytes()
    except OSError as e:
        raise FixtureError(f"fixture {str(path)!r} cannot be read: {e.strerror or e}", fixture=str(path)) from e


def _child_env(auth_string: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTIFACTD_")}
    # Everything serve() means is on the command line; an inherited
    # ARTIFACTD_* or auth variable must not change it behind the caller's back.
    env.pop("PREFECT_SERVER_API_AUTH_STRING", None)
    if auth_string is not None:
        # The option's own variable: a secret in argv is visible to every user's `ps`.
        env["PREFECT_SERVER_API_AUTH_STRING"] = auth_string
    env["NO_COLOR"] = "1"
    # The start-up line (it carries the port) is logged at info.
    rust_log = os.environ.get("RUST_LOG")
    env["RUST_LOG"] = f"{rust_log},artifactd=info" if rust_log else "info,refinery_core=warn"
    return env


class Server:
    """A running artifactd process (what serve() yields)."""

    def __init__(
        self,
        fixtures: Sequence[Fixture] = (),
        db: str | os.PathLike | None = None,
        auth_string: str | None = None,
        read_only: bool = False,
        port: int | None = 0,
        startup_timeout: float = 10.0,
        binary: str | os.PathLike | None = None,
        extra_args: Iterable[str] = (),
        host: str = "127.0.0.1",
    ):
        self.binary = find_binary(binary)
        self.auth_string = auth_string
        self.read_only = read_only
        self.testing = not read_only
        self.host = host
        self.port: int = 0
        self._log: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self._log_lock = threading.Lock()
        self._port_seen = threading.Event()
        self._stopped = False
        self._reader: threading.Thread | None = None
        self.process: subprocess.Popen | None = None
        args = [
            str(self.binary),
            "serve",
            "--host",
            host,
            "--port",
            str(port or 0),
            "--db",
            str(db) if db is not None else ":memory:",
            "--body-limit",
            str(BODY_LIMIT),
        ]
        if read_only:
            args.append("--read-only")
            # No admin endpoints to load through: the server loads them itself.
            for f in fixtures:
                if isinstance(f, (Mapping, bytes)) or (isinstance(f, str) and f.lstrip().startswith("{")):
                    raise FixtureError("a read-only server loads fixtures from files only", fixture="<inline>")
                args += ["--fixtures", str(f)]
        else:
            args.append("--testing")
        args += [str(a) for a in extra_args]
        self.args = args
        self._start(startup_timeout)
        try:
            if fixtures and not read_only:
                self.reset(fixtures)
        except BaseException:
            self.stop()
            raise

    # -- process -------------------------------------------------------

    def _start(self, startup_timeout: float) -> None:
        kwargs: dict[str, Any] = {}
        if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
            # PDEATHSIG follows the starting *thread*; from another thread it
            # would kill the server when that thread ends, so only here.
            kwargs["preexec_fn"] = _die_with_parent
        if os.name == "posix":
            # Its own process group: a Ctrl-C in the terminal reaches only the
            # test process, which then drains its workers and stops us in order.
            kwargs["start_new_session"] = True
        try:
            self.process = subprocess.Popen(
                self.args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=_child_env(self.auth_string),
                **kwargs,
            )
        except OSError as e:
            raise BinaryNotFound(f"cannot run {self.binary}: {e}") from e
        _LIVE.add(self)
        self._reader = threading.Thread(target=self._read_stderr, name=f"artifactd-log-{self.process.pid}", daemon=True)
        self._reader.start()
        try:
            self._wait_ready(startup_timeout)
        except BaseException:
            self.stop()
            raise

    def _read_stderr(self) -> None:
        proc = self.process
        assert proc is not None and proc.stderr is not None
        for raw in proc.stderr:
            line = _ANSI.sub("", raw.decode("utf-8", "replace")).rstrip("\n")
            with self._log_lock:
                self._log.append(line)
            if not self._port_seen.is_set():
                m = _SERVING.search(line)
                if m:
                    self.port = int(m.group("port"))
                    self._port_seen.set()
        proc.stderr.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._port_seen.wait(0.02):
            self._check_alive("artifactd exited during start-up")
            if time.monotonic() > deadline:
                raise StartupTimeout(self._with_log(f"artifactd did not start listening within {timeout:g} s"))
        while True:
            self._check_alive("artifactd exited during start-up")
            try:
                if self._request("GET", "/health", timeout=max(0.1, min(2.0, deadline - time.monotonic()))) is not None:
                    return
            except (OSError, RequestError):
                pass
            if time.monotonic() > deadline:
                raise StartupTimeout(self._with_log(f"artifactd did not answer {self.api_url}/health within {timeout:g} s"))
            time.sleep(0.02)

    def _check_alive(self, what: str = "artifactd exited") -> None:
        proc = self.process
        if proc is None:
            raise ServerExited("artifactd was never started")
        code = proc.poll()
        if code is not None:
            # The pipe closes when the process is gone: the reader then has the last lines.
            if self._reader is not None:
                self._reader.join(1.0)
            raise ServerExited(self._with_log(f"{what} (exit code {code})"), returncode=code, log=self.logs())

    def _with_log(self, message: str) -> str:
        lines = self.logs(30)
        tail = "\n".join("    " + line for line in lines) if lines else "    (no output)"
        return f"{message}; command: {' '.join(self.args)}\nlast log lines:\n{tail}"

    def logs(self, n: int = 50) -> list[str]:
        """The last `n` lines the server wrote to stderr."""
        with self._log_lock:
            return list(self._log)[-n:]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, a bounded wait, then SIGKILL. Returns the exit code."""
        proc = self.process
        _LIVE.discard(self)
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.terminate()
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
            except ProcessLookupError:
                pass
        self._stopped = True
        return proc.returncode

    # -- HTTP ----------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def _request(self, method: str, path: str, body: bytes | None = None, timeout: float = REQUEST_TIMEOUT) -> Any:
        req = urllib.request.Request(self.api_url + path, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if self.auth_string is not None:
            token = base64.b64encode(self.auth_string.encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                data = resp.read()
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            raise RequestError(f"{method} {path}: HTTP {e.code}: {text[:2000]}", status=e.code, body=text) from None
        return json.loads(data) if data else None

    def _admin(self, method: str, path: str, body: bytes | None, names: Sequence[str]) -> Any:
        if not self.testing:
            raise RequestError("this server is read-only: it has no admin endpoints (start it without read_only)")
        self._check_alive()
        try:
            return self._request(method, path, body)
        except RequestError as e:
            if e.status == 422:
                raise _fixture_error(e.body or "", names) from None
            self._check_alive()
            raise
        except OSError as e:
            self._check_alive()
            raise RequestError(f"{method} {path}: {e}") from e

    def load(self, fixture: Fixture) -> dict:
        """Upserts one fixture document (a path, a dict or JSON text)."""
        name, data = _fixture_bytes(fixture)
        return self._admin("POST", "/admin/database/load", data, [name])

    def reset(self, fixtures: Sequence[Fixture] = ()) -> dict:
        """Empties the database, then loads `fixtures`, in one transaction."""
        if not fixtures:
            return self._admin("POST", "/admin/database/clear", b"{}", [])
        docs = [_fixture_bytes(f) for f in fixtures]
        # The documents go as they are, no parse and re-dump on this side.
        body = b'{"fixtures":[' + b",".join(d for _, d in docs) + b"]}"
        return self._admin("POST", "/admin/database/clear", body, [n for n, _ in docs])

    def clear(self) -> dict:
        return self.reset(())

    def export(self) -> dict:
        """The whole database as one fixture document."""
        return self._admin("GET", "/admin/database/export", None, [])

    def __repr__(self) -> str:
        state = "running" if self.alive() else "stopped"
        return f"<artifactd.Server {self.api_url} pid={self.process.pid if self.process else None} {state}>"


def _fixture_error(text: str, names: Sequence[str]) -> FixtureError:
    try:
        detail = json.loads(text)
    except ValueError:
        detail = text
    msgs: list[str] = []
    items = detail.get("detail") if isinstance(detail, dict) else None
    if isinstance(items, list):
        for item in items:
            msgs.append(str(item.get("msg", item)) if isinstance(item, dict) else str(item))
    elif items is not None:
        msgs.append(str(items))
    else:
        msgs.append(str(detail)[:2000])
    message = "; ".join(msgs)
    # The server names a document of a clear request "fixtures[i]": say which file that was.
    fixture = names[0] if len(names) == 1 else None
    m = re.search(r"fixtures\[(\d+)\]", message)
    if m and int(m.group(1)) < len(names):
        fixture = names[int(m.group(1))]
    if fixture:
        message = f"fixture {fixture}: {message}"
    return FixtureError(f"artifactd refused a fixture: {message}", fixture=fixture, detail=detail)
