"""The built-in page in a real browser: headless Chromium (Debian's
`chromium`, or $CHROMIUM) loads the pages artifactd serves with
fixtures/demo.json plus a hostile markdown artifact, and the DOM it builds
is checked: every artifact type renders, paging and filters change the
list, and the hostile markdown runs nothing. Screenshots go to
tests/e2e/output/ for a person to look at."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

import e2e_lib as lib

OUTPUT = lib.HERE / "output"
MARKER = "artifactd-pwned-marker"
HOSTILE = (
    "# Hostile heading\n\n"
    f"<script>document.body.setAttribute('data-{MARKER}', '1'); document.title = '{MARKER}';</script>\n\n"
    f"<img src=x onerror=\"document.body.setAttribute('data-{MARKER}', '2')\">\n\n"
    f"[click me](javascript:document.title='{MARKER}') "
    f"<a href=\"#\" onclick=\"document.title='{MARKER}'\">also me</a>\n"
)


def chromium() -> str:
    exe = os.environ.get("CHROMIUM") or next(
        (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
    )
    if not exe:
        pytest.fail("the browser tests need Chromium: apt-get install -y chromium (or set CHROMIUM)")
    return exe


class Browser:
    def __init__(self, profile: Path):
        self.exe = chromium()
        self.flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
        ]

    def run(self, *args: str) -> subprocess.CompletedProcess:
        p = subprocess.run([self.exe, *self.flags, *args], capture_output=True, text=True, timeout=90)
        assert p.returncode == 0, p.stderr[-2000:]
        return p

    def dom(self, url: str) -> str:
        """The DOM after load (and after any script had its chance)."""
        return self.run("--virtual-time-budget=1500", "--dump-dom", url).stdout

    def screenshot(self, url: str, path: Path, size: str = "1280,1000") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()
        self.run(f"--window-size={size}", f"--screenshot={path}", url)
        assert path.exists() and path.stat().st_size > 10_000, "a real screenshot was written"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ui")
    hostile = tmp / "hostile.json"
    hostile.write_text(json.dumps({
        "artifacts": [{
            "id": "6a6f6e65-0000-4000-8000-00000000beef",
            "created": "2030-01-01T00:00:00Z",
            "updated": "2030-01-01T00:00:00Z",
            "key": "hostile",
            "type": "markdown",
            "description": "<b onmouseover=\"document.title='x'\">hover</b>",
            "data": HOSTILE,
        }]
    }))
    s = lib.Server(tmp, ("--fixtures", str(lib.REPO / "fixtures" / "demo.json"), "--fixtures", str(hostile)))
    try:
        yield s, s.api[: -len("/api")]
    finally:
        s.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    return Browser(tmp_path_factory.mktemp("chromium-profile"))


def cards(dom: str) -> list[tuple[str, str]]:
    """(data-type, data-id) of each artifact card, in page order."""
    return re.findall(r'<article class="card[^"]*" data-type="([^"]*)" data-id="([^"]*)"', dom)


def handlers(dom: str) -> list[str]:
    """Tags carrying an event-handler attribute. The serialised DOM escapes
    `<` in text and `"` in attribute values, so every `<...>` is a real tag
    and dropping the quoted values leaves only attribute names."""
    bad = []
    for tag in re.findall(r"<[a-zA-Z][^>]*>", dom):
        names = re.sub(r'"[^"]*"', "", tag)
        if re.search(r"\son[a-z]+\s*=", names, re.I):
            bad.append(tag)
    return bad


def latest(api: str, body: dict) -> list[dict]:
    return httpx.post(f"{api}/artifacts/latest/filter", json=body).json()


def test_every_type_renders(site, browser):
    server, root = site
    dom = browser.dom(root + "/")
    want = [r["latest_id"] for r in latest(server.api, {"sort": "UPDATED_DESC"})]
    assert [i for _, i in cards(dom)] == want, "the latest of every key, newest first"
    # table from rows and from columns: header and cells
    assert "<th>channel</th>" in dom and "<td>mobile</td>" in dom
    assert "<th>region</th>" in dom and "<td>LATAM</td>" in dom
    # markdown: its heading; link: an anchor; image: an <img>
    assert "<h1>Weekly report 2024-W23</h1>" in dom
    assert 'href="https://warehouse.example.com/dashboards/loads?date=2024-06-03"' in dom
    assert '<img src="https://charts.example.com/revenue/2024-W23.png"' in dom
    # progress: a bar and its number
    assert re.search(r'<progress max="100" value="100">', dom) and '<span class="pct">100%</span>' in dom
    # flow, flow run and state
    assert 'weekly-report-2024-W23 <span class="state completed">Completed</span>' in dom


def test_paging_and_filters_change_the_list(site, browser):
    server, root = site
    p1 = cards(browser.dom(root + "/?per=4"))
    p2 = cards(browser.dom(root + "/?per=4&page=2"))
    assert len(p1) == 4 and len(p2) == 4 and not set(p1) & set(p2)
    everything = [r["latest_id"] for r in latest(server.api, {"sort": "UPDATED_DESC"})]
    assert [i for _, i in p1 + p2] == everything[:8]

    tables = cards(browser.dom(root + "/?type=table"))
    assert [t for t, _ in tables] == ["table", "table"]
    dom = browser.dom(root + "/?flow=nightly-etl")
    want = [r["latest_id"] for r in latest(server.api, {"flows": {"name": {"any_": ["nightly-etl"]}}, "sort": "UPDATED_DESC"})]
    assert [i for _, i in cards(dom)] == want and 0 < len(want) < len(everything)
    dom = browser.dom(root + "/?q=weekly")
    assert {i for _, i in cards(dom)} == {
        r["latest_id"] for r in latest(server.api, {"artifacts": {"key": {"like_": "weekly"}}})
    }
    keyless = cards(browser.dom(root + "/?tab=keyless"))
    n = httpx.post(f"{server.api}/artifacts/count", json={"artifacts": {"key": {"exists_": False}}}).json()
    assert len(keyless) == n > 0


def test_hostile_markdown_runs_nothing(site, browser):
    _, root = site
    for path in ("/", "/ui/keys/hostile", "/ui/artifacts/6a6f6e65-0000-4000-8000-00000000beef"):
        dom = browser.dom(root + path)
        assert "Hostile heading" in dom, path
        assert MARKER not in dom, f"{path}: a script ran, or its text survived"
        assert "<script" not in dom.lower(), path
        assert not handlers(dom), f"{path}: {handlers(dom)}"
        assert not re.search(r'(?i)(href|src)="\s*javascript:', dom), path
    browser.screenshot(root + "/ui/keys/hostile", OUTPUT / "ui-hostile.png", "1000,700")


def test_screenshots_for_a_person(site, browser):
    _, root = site
    browser.screenshot(root + "/", OUTPUT / "ui-index.png")
    browser.screenshot(root + "/ui/keys/weekly-report", OUTPUT / "ui-key.png")
