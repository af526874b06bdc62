"""The Python package, as a user gets it: a wheel built from this repo by
maturin (the dev profile, so it reuses target/debug), installed into a
fresh venv with prefect==3.9.1 and pytest; then its executable, serve(),
the pytest plugin and the example project, all run by that venv's Python.

Knobs (local runs only; CI sets none of them):
  ARTIFACTD_E2E_REFERENCE=0     skips the example's prefect_test_harness
                                tests (a real Prefect server, slow)
  ARTIFACTD_E2E_PY_VENV=DIR     reuses DIR for prefect + pytest (made there
                                if missing); the freshly built wheel is
                                always reinstalled into it
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import e2e_lib as lib

EXAMPLE = lib.REPO / "examples" / "pytest"
REQUIREMENTS = ["prefect==3.9.1", "pytest>=8,<9"]
BUILD_TIMEOUT = 900
INSTALL_TIMEOUT = 900


def _run(args, timeout, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def _clean_env(home: Path) -> dict:
    """No ARTIFACTD_BIN: the package must find its own executable."""
    env = lib.prefect_env("", home)
    env.pop("PREFECT_API_URL")
    env = {k: v for k, v in env.items() if not k.startswith("ARTIFACTD_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return env


class Venv:
    def __init__(self, root: Path, home: Path):
        self.root = root
        self.bin = root / "bin"
        self.python = str(self.bin / "python")
        self.home = home
        self.env = _clean_env(home)

    def py(self, code: str, timeout: float = 120, check: bool = True, **kw) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [self.python, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            cwd=kw.pop("cwd", str(self.home)),
            **kw,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"script failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def result(self, code: str, timeout: float = 120) -> dict:
        """Runs `code`, which prints one `RESULT {json}` line."""
        proc = self.py(code, timeout)
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT ") :])
        raise AssertionError(f"no RESULT line:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    env = dict(os.environ)
    # The dev profile: the wheel's binary is the debug build `cargo build`
    # already made, so this costs maturin's download and a link, not a
    # release build.
    env["MATURIN_PEP517_ARGS"] = "--profile dev --strip"
    start = time.monotonic()
    _run(
        [sys.executable, "-m", "pip", "wheel", str(lib.REPO), "--no-deps", "--disable-pip-version-check", "-w", str(out)],
        BUILD_TIMEOUT,
        env=env,
    )
    print(f"wheel built in {time.monotonic() - start:.1f} s")
    wheels = list(out.glob("artifactd-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Venv:
    home = tmp_path_factory.mktemp("prefect-home")
    cached = os.environ.get("ARTIFACTD_E2E_PY_VENV")
    root = Path(cached) if cached else tmp_path_factory.mktemp("fresh-venv") / "venv"
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    start = time.monotonic()
    stamp = root / ".artifactd-e2e-requirements"
    if not (cached and stamp.exists() and stamp.read_text() == "\n".join(REQUIREMENTS)):
        _run([sys.executable, "-m", "venv", "--clear", str(root)], 300)
        _run(pip + REQUIREMENTS, INSTALL_TIMEOUT)
        stamp.write_text("\n".join(REQUIREMENTS))
    _run(pip + ["--force-reinstall", "--no-deps", str(wheel)], INSTALL_TIMEOUT)
    print(f"venv ready in {time.monotonic() - start:.1f} s")
    return Venv(root, home)


def _gone(pid: int, timeout: float = 10.0) -> bool:
    """The process no longer runs (a zombie counts as gone: nothing runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_installs_the_executable_and_the_module(venv):
    exe = venv.bin / "artifactd"
    assert exe.is_file()
    version = _run([str(exe), "--version"], 30).stdout.strip()
    cargo_version = next(
        line.split('"')[1] for line in (lib.REPO / "Cargo.toml").read_text().splitlines() if line.startswith("version")
    )
    assert version == f"artifactd {cargo_version}"
    r = venv.result(
        """
        import json, importlib.metadata as md, artifactd
        print("RESULT " + json.dumps({"binary": str(artifactd.find_binary()), "version": md.version("artifactd"),
               "plugin": [e.value for e in md.entry_points(group="pytest11") if e.name == "artifactd"]}))
        """
    )
    assert r == {"binary": str(exe), "version": cargo_version, "plugin": ["artifactd.pytest_plugin"]}


def test_example_plugin_tests_pass(venv):
    start = time.monotonic()
    proc = subprocess.run(
        [venv.python, "-m", "pytest", "-p", "no:cacheprovider", "test_with_plugin.py"],
        capture_output=True, text=True, timeout=300, env=venv.env, cwd=EXAMPLE,
    )
    took = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "5 passed" in proc.stdout, proc.stdout[-3000:]
    print(f"example plugin tests: {took:.1f} s")


@pytest.mark.skipif(os.environ.get("ARTIFACTD_E2E_REFERENCE") == "0", reason="ARTIFACTD_E2E_REFERENCE=0")
def test_example_harness_tests_pass(venv):
    start = time.monotonic()
    proc = subprocess.run(
        [venv.python, "-m", "pytest", "-p", "no:cacheprovider", "test_with_harness.py"],
        capture_output=True, text=True, timeout=600, env=venv.env, cwd=EXAMPLE,
    )
    took = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "4 passed" in proc.stdout, proc.stdout[-3000:]
    print(f"example harness tests: {took:.1f} s")


def test_serve_points_prefect_at_it_and_restores(venv):
    r = venv.result(
        """
        import json, os
        import artifactd
        from prefect import flow, get_client
        from prefect.settings import PREFECT_API_URL

        @flow
        def hello():
            return "hi"

        before = PREFECT_API_URL.value()
        with artifactd.serve() as server:
            inside = PREFECT_API_URL.value()
            state = hello(return_state=True)
            runs = [r["id"] for r in server.export()["flow_runs"]]
            pid = server.process.pid
            api = server.api_url
        after = PREFECT_API_URL.value()

        import urllib.request, urllib.error
        from prefect.settings import PREFECT_API_AUTH_STRING
        def secret():
            v = PREFECT_API_AUTH_STRING.value()
            return getattr(v, "get_secret_value", lambda: v)()

        with artifactd.serve(auth_string="s3cret") as server:
            auth = {"setting": secret(), "flow": hello(), "runs": len(server.export()["flow_runs"]),
                    "argv": "s3cret" in open(f"/proc/{server.process.pid}/cmdline").read()}
            try:
                urllib.request.urlopen(server.api_url + "/flows/filter", data=b"{}", timeout=10)
            except urllib.error.HTTPError as e:
                auth["anonymous"] = e.code
        auth["after"] = secret()
        print("RESULT " + json.dumps({"before": before, "inside": inside, "after": after, "api": api, "pid": pid,
              "state": state.type.value, "run": str(state.state_details.flow_run_id), "runs": runs, "auth": auth}))
        """
    )
    assert r["auth"] == {"setting": "s3cret", "flow": "hi", "runs": 1, "argv": False, "anonymous": 401, "after": None}
    assert r["before"] is None and r["after"] is None
    assert r["inside"] == r["api"] and r["api"].startswith("http://127.0.0.1:")
    assert r["state"] == "COMPLETED"
    assert r["runs"] == [r["run"]]
    assert _gone(r["pid"])


def test_harness_drop_in_and_aserve(venv):
    r = venv.result(
        """
        import asyncio, json
        from prefect import flow, get_client
        from prefect.settings import PREFECT_API_URL
        import artifactd
        from artifactd.testing import harness as prefect_test_harness

        @flow
        def hello():
            return "hi"

        with prefect_test_harness() as server:
            value = hello()
            harness = {"value": value, "runs": len(server.export()["flow_runs"]), "url": PREFECT_API_URL.value() == server.api_url}
            harness_pid = server.process.pid

        async def main():
            async with artifactd.aserve(fixtures=[{"artifacts": [{"key": "seeded", "type": "markdown", "data": "x"}]}]) as s:
                async with get_client() as client:
                    latest = await client.read_latest_artifacts()
                return {"keys": [a.key for a in latest], "url": PREFECT_API_URL.value() == s.api_url, "pid": s.process.pid}

        out = asyncio.run(main())
        print("RESULT " + json.dumps({"harness": harness, "aserve": out, "after": PREFECT_API_URL.value(), "hpid": harness_pid}))
        """
    )
    assert r["harness"] == {"value": "hi", "runs": 1, "url": True}
    assert r["aserve"]["keys"] == ["seeded"] and r["aserve"]["url"] is True
    assert r["after"] is None
    assert _gone(r["hpid"]) and _gone(r["aserve"]["pid"])


def test_no_orphan_after_an_exception(venv):
    proc = venv.py(
        """
        import artifactd
        try:
            with artifactd.serve() as server:
                print("PID", server.process.pid, flush=True)
                raise ValueError("boom")
        except ValueError:
            print("CAUGHT", server.process.returncode)
        """
    )
    pid = int(proc.stdout.split("PID ")[1].split()[0])
    assert "CAUGHT" in proc.stdout
    assert _gone(pid)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL, signal.SIGTERM])
def test_no_orphan_when_the_parent_is_killed(venv, sig):
    script = textwrap.dedent(
        """
        import time, artifactd
        with artifactd.serve() as server:
            print("PID", server.process.pid, flush=True)
            time.sleep(120)
        """
    )
    parent = subprocess.Popen([venv.python, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=venv.env)
    try:
        line = parent.stdout.readline()
        assert line.startswith("PID "), line + parent.stderr.read()
        pid = int(line.split()[1])
        assert not _gone(pid, 0.2)
        parent.send_signal(sig)
        parent.wait(30)
        assert _gone(pid), f"artifactd {pid} outlived its parent killed by {sig.name}"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)


def test_errors_are_clear_and_quick(venv, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"artifact": []}')
    sleeper = tmp_path / "sleeper"
    sleeper.write_text("#!/bin/sh\nexec sleep 60\n")
    sleeper.chmod(0o755)
    dies = tmp_path / "dies"
    dies.write_text("#!/bin/sh\necho 'cannot open the database' >&2\nexit 3\n")
    dies.chmod(0o755)
    start = time.monotonic()
    r = venv.result(
        f"""
        import json, os, time, artifactd

        def attempt(**kw):
            t = time.monotonic()
            try:
                with artifactd.serve(**kw) as s:
                    pass
            except artifactd.ArtifactdError as e:
                return {{"type": type(e).__name__, "msg": str(e), "secs": time.monotonic() - t}}
            return {{"type": None}}

        out = {{
            "missing": attempt(binary="/nonexistent/artifactd"),
            "bad_fixture": attempt(fixtures=[{str(bad)!r}]),
            "timeout": attempt(binary={str(sleeper)!r}, startup_timeout=1.0),
            "dies": attempt(binary={str(dies)!r}),
        }}
        with artifactd.serve() as s:
            try:
                s.load({{"artifacts": [{{"key": "k", "type": 5}}]}})
            except artifactd.FixtureError as e:
                out["load"] = str(e)
            s.process.kill()
            s.process.wait(10)
            try:
                s.reset()
            except artifactd.ServerExited as e:
                out["killed"] = {{"msg": str(e), "code": e.returncode}}
        print("RESULT " + json.dumps(out))
        """
    )
    assert time.monotonic() - start < 60
    assert r["missing"]["type"] == "BinaryNotFound" and "/nonexistent/artifactd" in r["missing"]["msg"]
    assert r["bad_fixture"]["type"] == "FixtureError"
    assert str(bad) in r["bad_fixture"]["msg"] and 'unknown top-level key "artifact"' in r["bad_fixture"]["msg"]
    assert r["timeout"]["type"] == "StartupTimeout" and 1.0 <= r["timeout"]["secs"] < 5
    assert "within 1 s" in r["timeout"]["msg"]
    assert r["dies"]["type"] == "ServerExited"
    assert "exit code 3" in r["dies"]["msg"] and "cannot open the database" in r["dies"]["msg"]
    assert "artifacts[0]" in r["load"] and "<dict>" in r["load"]
    assert r["killed"]["code"] == -9 and "exit code -9" in r["killed"]["msg"]


def test_plugin_reports_a_server_that_died_mid_session(venv, tmp_path):
    (tmp_path / "test_dies.py").write_text(
        textwrap.dedent(
            """
            def test_kills_it(artifactd):
                artifactd.process.kill()
                artifactd.process.wait(10)

            def test_next(artifactd):
                pass
            """
        )
    )
    proc = subprocess.run(
        [venv.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path / "test_dies.py")],
        capture_output=True, text=True, timeout=120, env=venv.env, cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stdout[-4000:]
    assert "1 passed, 1 error" in proc.stdout, proc.stdout[-4000:]
    assert "ServerExited" in proc.stdout and "exit code -9" in proc.stdout and "last log lines" in proc.stdout


def test_plugin_marker_paths(venv, tmp_path):
    # Beside the test file first, then the rootdir; a missing one names its path.
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "root.json").write_text('{"artifacts": [{"key": "from-root", "type": "markdown", "data": "r"}]}')
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "near.json").write_text('{"artifacts": [{"key": "near", "type": "markdown", "data": "n"}]}')
    (tmp_path / "suite" / "test_marks.py").write_text(
        textwrap.dedent(
            """
            import pytest

            def keys(server):
                return sorted(a["key"] for a in server.export()["artifacts"])

            @pytest.mark.artifactd(fixtures=["near.json", "data/root.json"])
            def test_both(artifactd):
                assert keys(artifactd) == ["from-root", "near"]

            @pytest.mark.artifactd(fixtures=[{"artifacts": [{"key": "inline", "type": "markdown", "data": "i"}]}])
            def test_inline(artifactd):
                assert keys(artifactd) == ["inline"]

            @pytest.mark.artifactd(fixtures=["missing.json"])
            def test_missing(artifactd):
                pass

            def test_empty_again(artifactd):
                assert keys(artifactd) == []
            """
        )
    )
    proc = subprocess.run(
        [venv.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "suite/test_marks.py"],
        capture_output=True, text=True, timeout=120, env=venv.env, cwd=tmp_path,
    )
    assert "3 passed, 1 error" in proc.stdout, proc.stdout[-4000:]
    assert "FixtureError" in proc.stdout and str(tmp_path / "suite" / "missing.json") in proc.stdout


def test_plugin_is_quiet_when_unused(venv, tmp_path):
    # The plugin is loaded (its marker is registered) but a test that asks
    # for no fixture gets no server: the pytest process has no child.
    (tmp_path / "test_plain.py").write_text(
        textwrap.dedent(
            """
            import os
            from pathlib import Path

            def children():
                out = []
                for d in Path("/proc").iterdir():
                    if d.name.isdigit():
                        try:
                            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
                        except OSError:
                            continue
                        if int(stat[1]) == os.getpid():
                            out.append(d.name)
                return out

            def test_plain():
                assert children() == []
            """
        )
    )
    proc = subprocess.run(
        [venv.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path / "test_plain.py")],
        capture_output=True, text=True, timeout=120, env=venv.env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    markers = subprocess.run(
        [venv.python, "-m", "pytest", "-p", "no:cacheprovider", "--markers"],
        capture_output=True, text=True, timeout=120, env=venv.env, cwd=tmp_path,
    )
    assert "@pytest.mark.artifactd(fixtures=[...])" in markers.stdout
