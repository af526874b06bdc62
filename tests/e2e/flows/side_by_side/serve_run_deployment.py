"""(h) `flow.serve()` in a subprocess; this process waits for the
deployment, runs it with run_deployment(..., timeout=60) and reads the run
it made."""

import subprocess
import sys
import time
from pathlib import Path

from prefect.deployments import run_deployment

import _sbs

NAME = "sbs-served/sbs-deployment"

if __name__ == "__main__":
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_served.py"))],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = {}
    try:
        with _sbs.client() as c:
            deadline = time.time() + 60
            dep = None
            while time.time() < deadline and server.poll() is None:
                dep = _sbs.guarded(lambda: c.read_deployment_by_name(NAME))
                if not isinstance(dep, dict):
                    break
                time.sleep(0.5)
            out["deployment found"] = dep is not None and not isinstance(dep, dict)
            if out["deployment found"]:
                out["deployment"] = {"name": dep.name, "tags": dep.tags,
                                     "parameters": dep.parameters, "paused": dep.paused}
                fr = run_deployment(NAME, parameters={"n": 4}, timeout=60)
                out["returned"] = _sbs.state_of(fr.state)
                out["flow_run"] = _sbs.flow_run(c, fr.id, logs_from_elsewhere=True)
                out["flow_run"]["parameters"] = fr.parameters
    finally:
        server.terminate()
        try:
            served_out = server.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            server.kill()
            served_out = server.communicate()[0]
    out["served exit"] = server.returncode is not None
    _sbs.emit(out)
    # the served process's own WARNING/ERROR lines, for the comparison
    for line in served_out.splitlines():
        if "| WARNING" in line or "| ERROR" in line:
            print("served: " + line, file=sys.stderr)
