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
LONG_KEY = "a-rather-long-artifact-key-" + "-".join(["segment"] * 12)
LONG_URL = "https://example.com/" + "x" * 300
# A flow run that only the hostile artifact knows of (its run page lists it).
HOSTILE_RUN = "6a6f6e65-0000-4000-8000-0000000f10e5"
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
            *lib.CHROMIUM_FLAGS,
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
        ]

    def run(self, *args: str) -> subprocess.CompletedProcess:
        # Headless Chromium now and then dies of a signal on a loaded
        # 2-core machine (SIGSEGV, seen in CI-like runs): that is the
        # browser's crash, not the page's, so it gets two more tries.
        for _ in range(3):
            p = subprocess.run([self.exe, *self.flags, *args], capture_output=True, text=True, timeout=90)
            if p.returncode >= 0:
                break
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
            "flow_run_id": HOSTILE_RUN,
            "description": "<b onmouseover=\"document.title='x'\">hover</b>",
            "data": HOSTILE,
        }, {
            # Long and wide: paged rows, a sticky header, its own scroll box.
            "id": "6a6f6e65-0000-4000-8000-00000000c0de",
            "created": "2029-01-01T00:00:00Z",
            "updated": "2029-01-01T00:00:00Z",
            "key": "long-wide-table",
            "type": "table",
            "description": "1200 rows, 24 columns",
            "data": json.dumps([{f"column_{c:02d}": r * 100 + c for c in range(24)} for r in range(1200)]),
        }, {
            # A key and a URL too long for a narrow screen.
            "id": "6a6f6e65-0000-4000-8000-00000000f00d",
            "created": "2028-01-01T00:00:00Z",
            "updated": "2028-01-01T00:00:00Z",
            "key": LONG_KEY,
            "type": "markdown",
            "description": "a long unbroken URL",
            "data": f"See <{LONG_URL}>",
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
    assert '<th scope="col">channel</th>' in dom and "<td>mobile</td>" in dom
    assert '<th scope="col">region</th>' in dom and "<td>LATAM</td>" in dom
    # markdown: its heading (under the page's h1 and the card's h2); link:
    # an anchor; image: an <img> of a data: URI, alt from its description
    assert "<h3>Weekly report 2024-W23</h3>" in dom
    assert 'href="https://warehouse.example.com/dashboards/loads?date=2024-06-03"' in dom
    assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="Revenue chart for 2024-W23">', dom)
    # progress: a bar and its number
    assert re.search(r'<progress max="100" value="100">', dom) and '<span class="pct">100%</span>' in dom
    # flow, flow run and state
    assert '>weekly-report-2024-W23</a> <span class="state completed">Completed</span>' in dom


def test_paging_and_filters_change_the_list(site, browser):
    server, root = site
    p1 = cards(browser.dom(root + "/?per=4"))
    p2 = cards(browser.dom(root + "/?per=4&page=2"))
    assert len(p1) == 4 and len(p2) == 4 and not set(p1) & set(p2)
    everything = [r["latest_id"] for r in latest(server.api, {"sort": "UPDATED_DESC"})]
    assert [i for _, i in p1 + p2] == everything[:8]

    tables = cards(browser.dom(root + "/?type=table"))
    n_tables = len(latest(server.api, {"artifacts": {"type": {"any_": ["table"]}}}))
    assert [t for t, _ in tables] == ["table"] * n_tables and n_tables == 3, "the demo's two and a long one"
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
    for path in ("/", "/ui/keys/hostile", "/ui/artifacts/6a6f6e65-0000-4000-8000-00000000beef",
                 f"/ui/flow-runs/{HOSTILE_RUN}"):
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


# ---------------------------------------------------------------------------
# In a scripted browser (Playwright driving the same Chromium): layout at
# 320 px, the sticky table header, links followed by clicking, and that no
# page asks the network for anything but artifactd itself.
# ---------------------------------------------------------------------------

NARROW = 320


@pytest.fixture(scope="module")
def pw():
    from playwright import sync_api  # tests/e2e/requirements.txt
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium(),
            args=lib.CHROMIUM_FLAGS,
        )
        try:
            yield b
        finally:
            b.close()


class Watched:
    """A page whose requests, dialogs and console errors are recorded."""

    def __init__(self, browser, root: str, width: int, height: int = 800):
        self.root = root
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.failed: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def go(self, path: str):
        resp = self.page.goto(self.root + path)
        self.page.wait_for_load_state("load")
        return resp

    def foreign(self) -> list[str]:
        return [u for u in self.requests if not (u.startswith(self.root) or u.startswith("data:"))]

    def close(self):
        self.page.close()


def pages_to_check(server) -> list[str]:
    api = server.api
    weekly = httpx.post(f"{api}/artifacts/filter", json={"artifacts": {"key": {"any_": ["weekly-report"]}}}).json()
    run = weekly[0]["flow_run_id"]
    task = next(a["task_run_id"] for a in httpx.post(f"{api}/artifacts/filter", json={}).json() if a["task_run_id"])
    return [
        "/", "/?tab=keyless", "/?state=NOPE", "/?q=nothing-matches-this", "/ui/keys/weekly-report",
        f"/ui/artifacts/{weekly[0]['id']}", f"/ui/flow-runs/{run}", f"/ui/task-runs/{task}",
        "/ui/artifacts/6a6f6e65-0000-4000-8000-00000000c0de", f"/ui/keys/{LONG_KEY}",
        "/ui/artifacts/6a6f6e65-0000-4000-8000-00000000f00d",
    ]


def test_pages_fit_a_320px_screen(site, pw):
    server, root = site
    w = Watched(pw, root, NARROW)
    try:
        for i, path in enumerate(pages_to_check(server)):
            w.go(path)
            width = w.page.evaluate("document.documentElement.scrollWidth")
            assert width <= NARROW, f"{path}: the page is {width} px wide at {NARROW} px"
            # No card, heading or list reaches past the screen's edge.
            over = w.page.evaluate(
                """(w) => [...document.querySelectorAll('main *')]
                    .filter(e => !e.closest('.table-wrap, pre, .body'))
                    .filter(e => e.getBoundingClientRect().right > w + 0.5)
                    .map(e => e.tagName + '.' + e.className).slice(0, 5)""",
                NARROW,
            )
            assert not over, f"{path}: {over}"
            assert w.page.locator("h1").count() == 1, path
            w.page.screenshot(path=str(OUTPUT / f"ui-320-{i:02d}.png"), full_page=False)
    finally:
        w.close()


def test_long_keys_and_urls_wrap_or_show_in_full(site, pw):
    _, root = site
    w = Watched(pw, root, NARROW)
    try:
        w.go(f"/ui/keys/{LONG_KEY}")
        h1 = w.page.locator("h1")
        assert h1.get_attribute("title") == LONG_KEY
        assert h1.inner_text() == LONG_KEY, "the whole key, wrapped"
        box = h1.bounding_box()
        assert box["x"] + box["width"] <= NARROW and box["height"] > 40, "wraps over several lines"
        w.go("/")
        card = w.page.locator(f"h2.key[title='{LONG_KEY}']")
        assert card.count() == 1 and card.inner_text() == LONG_KEY
        w.go("/ui/artifacts/6a6f6e65-0000-4000-8000-00000000f00d")
        link = w.page.locator(f"a[href='{LONG_URL}']")
        assert link.inner_text() == LONG_URL
        lb = link.bounding_box()
        assert lb["x"] + lb["width"] <= NARROW + 0.5
    finally:
        w.close()


def test_tables_scroll_in_their_own_box_with_a_sticky_header_and_right_aligned_numbers(site, pw):
    _, root = site
    w = Watched(pw, root, 800, 700)
    try:
        w.go("/ui/artifacts/6a6f6e65-0000-4000-8000-00000000c0de")
        wrap = w.page.locator(".detail .table-wrap")
        sizes = wrap.evaluate("e => [e.scrollWidth, e.clientWidth, e.scrollHeight, e.clientHeight]")
        assert sizes[0] > sizes[1], "wider than its box: it scrolls sideways"
        assert sizes[2] > sizes[3], "taller than its box: it scrolls down"
        assert w.page.evaluate("document.documentElement.scrollWidth") <= 800, "the page itself does not"
        assert w.page.locator(".detail tbody tr").count() == 500
        assert "Rows 1–500 of 1200" in w.page.inner_text("main")
        align = w.page.locator(".detail td.num").first.evaluate("e => getComputedStyle(e).textAlign")
        assert align == "right"
        head_before = w.page.locator(".detail thead th").first.bounding_box()["y"]
        wrap.evaluate("e => e.scrollTop = 3000")
        head_after = w.page.locator(".detail thead th").first.bounding_box()["y"]
        wrap_top = wrap.bounding_box()["y"]
        assert abs(head_after - wrap_top) < 2 and abs(head_after - head_before) < 2, (head_before, head_after, wrap_top)
        first_row = w.page.locator(".detail tbody tr").first.bounding_box()["y"]
        assert first_row < wrap_top, "the rows scrolled under the header"
        w.page.screenshot(path=str(OUTPUT / "ui-sticky-header.png"))
        # Next rows by following the link.
        w.page.click("a[rel=next]:has-text('Next 500 rows')")
        assert w.page.url.endswith("?rows=500")
        assert w.page.locator(".detail tbody tr").first.inner_text().startswith("50000")
    finally:
        w.close()


def test_links_navigate_between_pages(site, pw):
    server, root = site
    w = Watched(pw, root, 1280, 900)
    try:
        w.go("/")
        # Flow name: the index filtered by that flow.
        w.page.click("dd.flow a:text-is('weekly-report')")
        assert w.page.url.endswith("/?flow=weekly-report")
        assert w.page.locator("select[name=flow] option[selected]").inner_text() == "weekly-report"
        ids = [c.get_attribute("data-id") for c in w.page.locator("article.card").all()]
        want = [r["latest_id"] for r in latest(server.api, {"flows": {"name": {"any_": ["weekly-report"]}}, "sort": "UPDATED_DESC"})]
        assert ids == want
        # Flow run: its artifacts.
        run_link = w.page.locator("dd.flow-run a").first
        run_name = run_link.inner_text()
        run_link.click()
        assert "/ui/flow-runs/" in w.page.url
        assert w.page.locator("h1").inner_text() == f"Flow run {run_name}"
        run_id = w.page.url.rsplit("/", 1)[1]
        n = httpx.post(f"{server.api}/artifacts/count", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}).json()
        assert w.page.locator("article.card").count() == n
        # Task run, and back to its flow run.
        w.page.locator("dd.task-run a").first.click()
        assert "/ui/task-runs/" in w.page.url and w.page.locator("h1").inner_text().startswith("Task run ")
        w.page.locator("dl.run a[href*='/ui/flow-runs/']").click()
        assert w.page.url.endswith(run_id)
        # Versions: key page, an artifact, older and newer, the breadcrumb.
        w.go("/ui/keys/weekly-report")
        n = w.page.locator("article.card").count()
        w.page.locator("article.card h2.key a").first.click()
        crumbs = w.page.locator("nav.crumbs").inner_text()
        assert crumbs.replace("\n", "") == f"Artifacts › weekly-report › v{n} of {n} (latest)", crumbs
        w.page.click("text=Older version →")
        assert w.page.locator("nav.crumbs li[aria-current]").inner_text() == f"v{n - 1} of {n}"
        w.page.click("text=← Newer version")
        assert w.page.locator("nav.crumbs li[aria-current]").inner_text() == f"v{n} of {n} (latest)"
        w.page.click("nav.crumbs a:text-is('weekly-report')")
        assert w.page.url.endswith("/ui/keys/weekly-report")
        # A bad filter: the message and the form; clearing the filters.
        w.go("/?state=BOGUS&q=weekly")
        assert "There is no flow run state" in w.page.inner_text("[role=alert]")
        assert w.page.locator("input[name=q]").input_value() == "weekly"
        w.page.click("text=clear the filters")
        assert w.page.url == root + "/" and w.page.locator("article.card").count() > 0
        w.go("/?q=nothing-matches-this")
        w.page.click("text=Clear the filters")
        assert w.page.url == root + "/"
        assert not w.foreign(), w.foreign()
    finally:
        w.close()


def test_hostile_content_is_inert_in_a_scripted_browser(site, pw):
    _, root = site
    w = Watched(pw, root, 1000, 800)
    try:
        for path in ("/", "/ui/keys/hostile", "/ui/artifacts/6a6f6e65-0000-4000-8000-00000000beef", f"/ui/flow-runs/{HOSTILE_RUN}"):
            w.go(path)
            # Hover and click everything a handler could sit on.
            for el in w.page.locator("main a, main b, main img").all()[:40]:
                try:
                    el.hover(timeout=500)
                except Exception:
                    pass
            assert MARKER not in w.page.title(), path
            assert w.page.evaluate(f"document.body.getAttribute('data-{MARKER}')") is None, path
            assert not w.dialogs, (path, w.dialogs)
            assert w.page.locator("main a[href^='javascript:']").count() == 0, path
            assert "default-src 'none'" in (w.go(path).headers.get("content-security-policy") or ""), path
    finally:
        w.close()


def test_the_demo_needs_no_network(site, pw):
    server, root = site
    w = Watched(pw, root, 1280, 1000)
    try:
        for path in pages_to_check(server):
            w.go(path)
        assert not w.foreign(), f"requests beyond artifactd: {w.foreign()[:5]}"
        w.go("/ui/keys/revenue-chart")
        imgs = w.page.locator("article img").all()
        assert imgs, "the demo's chart versions"
        for img in imgs:
            assert img.get_attribute("src").startswith("data:image/")
            assert img.evaluate("e => e.complete && e.naturalWidth > 0"), "the image decoded"
            assert img.get_attribute("alt").startswith("Revenue chart for ")
        w.page.screenshot(path=str(OUTPUT / "ui-charts.png"))
        # The weekly report's markdown embeds the same chart.
        w.go("/ui/keys/weekly-report")
        imgs = w.page.locator("article .body img").all()
        assert imgs
        for img in imgs:
            assert img.get_attribute("src").startswith("data:image/svg+xml;base64,")
            assert img.evaluate("e => e.complete && e.naturalWidth > 0"), "the embedded chart decoded"
    finally:
        w.close()
