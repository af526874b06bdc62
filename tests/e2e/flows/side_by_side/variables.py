"""(j) Variable.set / get (a new one, an overwrite, one refused without
overwrite, a missing one with a default) and `prefect variable ls` /
`get` / `inspect` from the CLI."""

import os
import subprocess
import sys
from pathlib import Path

from prefect.variables import Variable

import _sbs


def cli(*args: str) -> dict:
    exe = Path(sys.executable).with_name("prefect")
    p = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120, env=os.environ)
    return {"exit": p.returncode, "out": (p.stdout + p.stderr).strip().splitlines()}


if __name__ == "__main__":
    out = {}
    Variable.set("sbs_answer", 42)
    Variable.set("sbs_config", {"a": [1, 2], "b": None}, tags=["sbs"])
    out["get answer"] = Variable.get("sbs_answer")
    out["get config"] = Variable.get("sbs_config")
    try:
        Variable.set("sbs_answer", 43)
        out["set again"] = "accepted"
    except Exception as exc:
        out["set again"] = f"{type(exc).__name__}: {exc}"
    Variable.set("sbs_answer", "forty-three", overwrite=True)
    out["get after overwrite"] = Variable.get("sbs_answer")
    out["get missing"] = Variable.get("sbs_missing", default="fallback")
    out["unset"] = Variable.unset("sbs_config")
    out["get unset"] = Variable.get("sbs_config")
    Variable.set("sbs_config", {"a": [1, 2]}, tags=["sbs"])
    out["cli ls"] = cli("variable", "ls")
    out["cli get"] = cli("variable", "get", "sbs_answer")
    out["cli inspect"] = cli("variable", "inspect", "sbs_config")
    out["cli get missing"] = cli("variable", "get", "sbs_nope")
    _sbs.emit(out)
