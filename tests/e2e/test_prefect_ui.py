"""Prefect's own UI (the v1 build at `/`, the v2 build at `/v2`, from this
venv's prefect package) in headless Chromium, served by artifactd
(`--prefect-ui`) and by a live `prefect server start`, both holding
fixtures/demo.json (prefect_ui_lib). For each page a demo shows:

* every API call the page makes on artifactd must succeed (no status of
  400 or more, no failed request, CORS included);
* the rendered text of the page's main content must equal the
  reference's, after the normalisations in `normalise` (each explained).

Screenshots of every page from both servers, the texts and the list of
API calls go to tests/e2e/output/prefect-ui/ (report.json sums them up).
With ARTIFACTD_E2E_REFERENCE=0 no reference is started: only artifactd's
failed calls (and a non-empty page) are checked, not the texts.

A hostile markdown artifact (script tag, `javascript:` link, `onerror`
image, inline handler) is then opened in both UIs on artifactd and must
run nothing."""

from __future__ import annotations

import difflib
import json
import os
import re
import time
from pathlib import Path

import httpx
import pytest

import e2e_lib as lib
import prefect_ui_lib as pui

OUTPUT = lib.HERE / "output" / "prefect-ui"
REFERENCE = os.environ.get("ARTIFACTD_E2E_REFERENCE") != "0"
CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
FLAGS = lib.CHROMIUM_FLAGS
# Where each build puts a page's own content (not the navigation around it).
MAIN = {"v1": ".app-router-view__view", "v2": "main"}

DEMO = json.loads(pui.DEMO.read_text())
FLOW_RUN = "b0034f85-be4c-416a-9844-34a835f47b8b"  # nightly-etl-2024-06-03: completed, tasks, artifacts
TASK_RUN = next(t["id"] for t in DEMO["task_runs"] if t["flow_run_id"] == FLOW_RUN)
FLOW = next(r["flow_id"] for r in DEMO["flow_runs"] if r["id"] == FLOW_RUN)
DEPLOYMENT = DEMO["deployments"][0]["id"]
ARTIFACT = "b6d41fd3-a330-477a-8e57-d3399faf7122"  # a table of etl-row-counts
KEY = "etl-row-counts"

# (name, path under the build's base, tab to click or None)
PAGES = [
    ("dashboard", "/dashboard", None),
    ("runs", "/runs", None),
    ("runs-task-runs", "/runs", "Task Runs"),
    # Both UIs show 100 runs a page by default (the demo has 19); v2 takes
    # the page size from its URL, and the pager's next button goes to page
    # 2. (v1 keeps its page size in local state: no such link, no case.)
    ("runs-page-2", {"v2": "/runs?limit=5"}, "next page"),
    ("flow-run", f"/runs/flow-run/{FLOW_RUN}", None),
    ("flow-run-logs", f"/runs/flow-run/{FLOW_RUN}", "Logs"),
    ("flow-run-task-runs", f"/runs/flow-run/{FLOW_RUN}", "Task Runs"),
    ("flow-run-artifacts", f"/runs/flow-run/{FLOW_RUN}", "Artifacts"),
    ("flow-run-details", f"/runs/flow-run/{FLOW_RUN}", "Details"),
    ("flow-run-parameters", f"/runs/flow-run/{FLOW_RUN}", "Parameters"),
    ("task-run", f"/runs/task-run/{TASK_RUN}", None),
    ("flows", "/flows", None),
    ("flow", f"/flows/flow/{FLOW}", None),
    ("deployments", "/deployments", None),
    ("deployment", f"/deployments/deployment/{DEPLOYMENT}", None),
    ("artifacts", "/artifacts", None),
    ("artifact-key", f"/artifacts/key/{KEY}", None),
    ("artifact", f"/artifacts/artifact/{ARTIFACT}", None),
]
CASES = [
    (ui, name, path[ui] if isinstance(path, dict) else path, action)
    for ui in ("v1", "v2")
    for name, path, action in PAGES
    if not isinstance(path, dict) or ui in path
]
BASE = {"v1": "", "v2": "/v2"}

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
AGO = re.compile(r"\b(\d+|an?|a few) (second|minute|hour|day|week|month|year)s?( ago)?\b")
ADDRESS = re.compile(r"https?://127\.0\.0\.1:\d+")
LATENESS = re.compile(r"\b(\d+[dhms] ?)+ late\b")
SCHEDULE_BADGE = re.compile(r"^(Active|Paused)\n(At |Every |Cron |RRule ).*$|^\d+ schedules$", re.M)


def normalise(text: str) -> str:
    # The two servers listen on different ports.
    text = ADDRESS.sub("<server>", text)
    # Relative times ("3 minutes ago") count from the moment each page was
    # rendered, seconds apart; the absolute times beside them must match.
    text = AGO.sub("<relative time>", text)
    # So is a scheduled run's lateness ("(1d 4h 20m late)").
    text = LATENESS.sub("<lateness>", text)
    # v2 shows a schedule as its badge ("Paused / Every 1 week") or, when
    # it measures the badge as too wide for its cell, as "1 schedules";
    # which one depends on when the web font loaded, not on data.
    text = SCHEDULE_BADGE.sub("<schedule badge>", text)
    # Blank lines and trailing spaces depend on layout timing, not data.
    lines = [ln.rstrip() for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln)


class Browser:
    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)

    def close(self):
        self.browser.close()
        self._pw.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium, or set CHROMIUM)")
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    ad = pui.start_artifactd(tmp_path_factory.mktemp("artifactd"))
    ref = None
    try:
        if REFERENCE:
            ref = pui.Reference(tmp_path_factory.mktemp("reference"))
        yield {"artifactd": ad.api[: -len("/api")], **({"reference": ref.root} if ref else {})}
    finally:
        ad.stop()
        if ref:
            ref.stop()


REPORT: dict = {}


def write_report():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "report.json").write_text(json.dumps(REPORT, indent=2, sort_keys=True))


def settle(page, main: str, timeout_ms: int = 15000):
    """Waits until the page's requests are done (the UIs poll, so at most
    `timeout_ms`), then until its main text has not changed for 1.5 s (at
    most 10 s more): the reference answers more slowly, and a page caught
    half-rendered would differ for no reason of data."""
    try:
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except Exception:
        pass
    last, since, deadline = None, time.time(), time.time() + 10
    while time.time() < deadline:
        text = page.evaluate(f"() => (document.querySelector('{main}') || document.body).innerText")
        if text != last:
            last, since = text, time.time()
        elif time.time() - since >= 1.5:
            return
        time.sleep(0.25)


def act(page, action: str) -> bool:
    """Clicks a tab (by its name), or the pager's next page; returns
    whether something was clicked."""
    if action == "next page":
        loc = page.get_by_role("button", name=re.compile(r"next page", re.I))
        if loc.count() == 0:
            loc = page.locator("[aria-label*='next page' i]")
        if loc.count() == 0:
            return False
        loc.first.click(timeout=5000)
        return True
    # v1 spells the Runs page's tab "Task runs", the run page's "Task Runs".
    name = re.compile(f"^{re.escape(action)}$", re.I)
    candidates = [page.get_by_role("tab", name=name), page.get_by_role("button", name=name), page.get_by_text(name)]
    for loc in candidates:
        try:
            if loc.count() > 0:
                loc.first.click(timeout=5000)
                return True
        except Exception:
            continue
    return False


def visit(browser, root: str, ui: str, name: str, path: str, action, server: str) -> dict:
    ctx = browser.browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US", timezone_id="UTC")
    # The v1 UI asks before a neutral entry point; a saved choice keeps it.
    ctx.add_cookies([{"name": "prefect_ui_version", "value": ui, "url": root}])
    page = ctx.new_page()
    calls: list = []
    failed: list = []

    def on_response(r):
        if "/api/" in r.url:
            calls.append({"method": r.request.method, "path": r.url.replace(root, "").split("?")[0], "status": r.status})
            if r.status >= 400:
                failed.append(f"{r.request.method} {r.url.replace(root, '')} -> {r.status}")

    def on_failed(r):
        if "/api/" in r.url:
            failed.append(f"{r.method} {r.url.replace(root, '')} -> failed: {r.failure}")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.goto(root + BASE[ui] + path)
    settle(page, MAIN[ui])
    clicked = None
    if action:
        clicked = act(page, action)
        settle(page, MAIN[ui])
    text = page.evaluate(f"() => (document.querySelector('{MAIN[ui]}') || document.body).innerText")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{ui}-{name}-{server}.png"), full_page=True)
    (OUTPUT / f"{ui}-{name}-{server}.txt").write_text(text)
    ctx.close()
    return {"calls": calls, "failed": failed, "text": text, "clicked": clicked}


@pytest.mark.parametrize("ui,name,path,action", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_page_matches_the_reference(browser, servers, ui, name, path, action):
    seen = {server: visit(browser, root, ui, name, path, action, server) for server, root in servers.items()}
    ours = seen["artifactd"]
    entry = {"artifactd_failed_calls": ours["failed"], "artifactd_calls": ours["calls"], "clicked": ours["clicked"]}
    problems = []
    if ours["failed"]:
        problems.append("API calls failed on artifactd:\n  " + "\n  ".join(sorted(set(ours["failed"]))))
    if "reference" in seen:
        theirs = seen["reference"]
        entry["reference_failed_calls"] = theirs["failed"]
        entry["reference_calls"] = theirs["calls"]
        entry["reference_clicked"] = theirs["clicked"]
        want, got = normalise(theirs["text"]), normalise(ours["text"])
        if want != got:
            diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), "reference", "artifactd", lineterm="", n=1))
            entry["text_diff"] = diff
            problems.append(f"the page's text differs from the reference's:\n{diff}")
    elif not normalise(ours["text"]):
        problems.append("the page rendered no text")
    REPORT[f"{ui}-{name}"] = entry
    write_report()
    assert not problems, f"{ui} {name} ({BASE[ui]}{path}):\n" + "\n".join(problems)


MARKER = "artifactd-pwned-marker"
HOSTILE = (
    "# Hostile heading\n\n"
    f"<script>document.body.setAttribute('data-{MARKER}', '1'); document.title = '{MARKER}';</script>\n\n"
    f"<img src=x onerror=\"document.body.setAttribute('data-{MARKER}', '2'); document.title = '{MARKER}'\">\n\n"
    f"[click me](javascript:document.title='{MARKER}') "
    f"<a href=\"#\" onclick=\"document.title='{MARKER}'\">also me</a>\n\n"
    f"<iframe srcdoc=\"<script>parent.document.title='{MARKER}'</script>\"></iframe>\n"
)


@pytest.mark.parametrize("ui", ["v1", "v2"])
def test_hostile_markdown_runs_nothing_in_prefects_ui(browser, servers, ui):
    root = servers["artifactd"]
    r = httpx.post(f"{root}/api/artifacts/", json={"key": f"hostile-{ui}", "type": "markdown", "data": HOSTILE, "description": "hostile"})
    assert r.status_code == 201, r.text
    artifact = r.json()["id"]
    ctx = browser.browser.new_context(viewport={"width": 1200, "height": 900})
    ctx.add_cookies([{"name": "prefect_ui_version", "value": ui, "url": root}])
    page = ctx.new_page()
    dialogs: list = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{root}{BASE[ui]}/artifacts/artifact/{artifact}")
    settle(page, MAIN[ui])
    assert "Hostile heading" in page.evaluate("() => document.body.innerText"), "the markdown did not render"
    for name in ("click me", "also me"):
        try:
            link = page.get_by_text(name, exact=True)
            if link.count() > 0:
                link.first.click(timeout=3000)
        except Exception:
            pass
    time.sleep(1.0)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{ui}-hostile-artifactd.png"), full_page=True)
    title = page.title()
    marked = page.evaluate(f"() => document.body.getAttribute('data-{MARKER}')")
    ctx.close()
    assert MARKER not in title and marked is None and not dialogs, (title, marked, dialogs)
