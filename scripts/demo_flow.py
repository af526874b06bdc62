#!/usr/bin/env python
"""Populate a Prefect 3 server with a small, realistic demo data set.

A data team's nightly ETL (with a warehouse-load subflow and a flaky extract
task that succeeds on retry), a weekly reporting flow, an ingest flow that
fails, and a flow that persists its result.  On top of the SDK runs, the REST
API is used for what the SDK cannot do without workers: deployments, flow runs
of those deployments in Scheduled/Pending/Cancelled/Crashed states, and one
artifact of type "result".

Run with PREFECT_API_URL pointing at the server, e.g.

    PREFECT_API_URL=http://127.0.0.1:4301/api python scripts/demo_flow.py

The script waits until the server's task-run recorder has written every task
run (task_runs/count stops changing) before it exits.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from prefect import flow, tags, task
from prefect.artifacts import (
    create_image_artifact,
    create_link_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.runtime import task_run as runtime_task_run

API = os.environ.get("PREFECT_API_URL", "http://127.0.0.1:4301/api").rstrip("/")


# --------------------------------------------------------------------------
# REST helpers (standard library only)
# --------------------------------------------------------------------------


def api(method: str, path: str, body: object | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        API + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    # Like the Prefect client, retry what the server reports as transient
    # (SQLite "database is locked" comes back as 503).
    for attempt in range(6):
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
            return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 502, 503) or attempt == 5:
                detail = exc.read().decode(errors="replace")
                raise SystemExit(f"{method} {path} -> HTTP {exc.code}: {detail}") from exc
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def set_state(flow_run_id: str, state_type: str, name: str, message: str | None = None,
              **details: object) -> None:
    state = {"type": state_type, "name": name, "message": message,
             "state_details": details}
    result = api("POST", f"/flow_runs/{flow_run_id}/set_state",
                 {"state": state, "force": True})
    assert result["status"] == "ACCEPT", result  # type: ignore[index]


# --------------------------------------------------------------------------
# Nightly ETL
# --------------------------------------------------------------------------

SOURCES = {
    "orders": [("web", 1204), ("mobile", 877), ("partner", 143)],
    "customers": [("web", 312), ("mobile", 198), ("partner", 22)],
}


@task(tags=["extract", "postgres"], retries=2, retry_delay_seconds=1)
def extract(source: str, run_date: str) -> list[dict]:
    # The replica is flaky on the first connection attempt of every run.
    if runtime_task_run.run_count == 1:
        raise ConnectionError(f"could not connect to replica for {source!r}: timeout")
    scale = 1.0 if run_date.endswith("1") else 1.07
    return [
        {"channel": ch, "rows": int(n * scale), "source": source}
        for ch, n in SOURCES[source]
    ]


@task(tags=["transform"])
def transform(batches: list[list[dict]]) -> list[dict]:
    rows = [row for batch in batches for row in batch]
    progress_id = create_progress_artifact(
        progress=0.0, key="etl-transform-progress", description="Transform progress"
    )
    for i, _ in enumerate(rows, start=1):
        update_progress_artifact(progress_id, progress=round(100.0 * i / len(rows), 1))
    # list-of-rows table
    create_table_artifact(
        table=rows,
        key="etl-row-counts",
        description="Rows extracted per source and channel",
    )
    return rows


@task(tags=["quality"])
def check_quality(rows: list[dict]) -> dict:
    total = sum(r["rows"] for r in rows)
    nulls = max(0, total // 997)
    # keyless artifact, produced inside a task run
    create_markdown_artifact(
        markdown=(
            "### Data quality\n\n"
            f"* rows checked: **{total}**\n"
            f"* null customer ids: **{nulls}**\n"
            f"* status: {'OK' if nulls < 5 else 'WARN'}\n"
        ),
        description="Quality checks (no key)",
    )
    return {"total": total, "nulls": nulls}


@task(tags=["load", "snowflake"])
def load_table(table: str, rows: list[dict]) -> int:
    n = sum(r["rows"] for r in rows if r["source"] == table)
    return n


@flow(name="load-warehouse", flow_run_name="load-warehouse-{run_date}")
def load_warehouse(rows: list[dict], run_date: str) -> dict:
    loaded = {t: load_table(t, rows) for t in ("orders", "customers")}
    create_markdown_artifact(
        markdown=(
            f"## Warehouse load {run_date}\n\n"
            "| table | rows |\n|---|---|\n"
            + "".join(f"| analytics.{t} | {n} |\n" for t, n in loaded.items())
        ),
        key="warehouse-load-summary",
        description="Rows loaded into the warehouse",
    )
    create_link_artifact(
        link=f"https://warehouse.example.com/dashboards/loads?date={run_date}",
        link_text="Warehouse load dashboard",
        key="warehouse-dashboard",
    )
    return loaded


@flow(name="nightly-etl", flow_run_name="nightly-etl-{run_date}", log_prints=True)
def nightly_etl(run_date: str = "2024-06-01", sources: list[str] | None = None) -> dict:
    sources = sources or ["orders", "customers"]
    batches = [extract(s, run_date) for s in sources]
    rows = transform(batches)
    quality = check_quality(rows)
    loaded = load_warehouse(rows, run_date)
    print(f"loaded {loaded}, quality {quality}")
    return {"loaded": loaded, "quality": quality}


# --------------------------------------------------------------------------
# Weekly report
# --------------------------------------------------------------------------


@task(tags=["report"])
def revenue_by_region(week: str) -> dict[str, list]:
    bump = int(week[-2:])
    table = {
        "region": ["EMEA", "NA", "APAC", "LATAM"],
        "revenue_usd": [41200 + bump * 10, 65800 + bump * 7, 23950 + bump, None],
        "orders": [512, 804, 301, 0],
    }
    # dict-of-columns table (with a null cell)
    create_table_artifact(
        table=table, key="weekly-revenue", description=f"Revenue by region, {week}"
    )
    return table


def chart_data_uri(week: str) -> str:
    """A small SVG bar chart of the week's revenue as a data: URI, so the
    demo's image artifacts show with no network (an offline demo cannot
    reach a chart host)."""
    import base64

    bump = int(week[-2:])
    bars = [("EMEA", 41200 + bump * 10), ("NA", 65800 + bump * 7), ("APAC", 23950 + bump), ("LATAM", 0)]
    top = max(v for _, v in bars)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180">',
        '<rect width="320" height="180" fill="#fff"/>',
        f'<text x="10" y="20" font-family="sans-serif" font-size="14" fill="#1c2230">Revenue by region, {week}</text>',
    ]
    for i, (name, v) in enumerate(bars):
        h = round(120 * v / top)
        x = 20 + i * 75
        parts.append(f'<rect x="{x}" y="{150 - h}" width="50" height="{h}" fill="#2e5bff"/>')
        parts.append(f'<text x="{x + 25}" y="168" font-family="sans-serif" font-size="11" text-anchor="middle" fill="#1c2230">{name}</text>')
    parts.append("</svg>")
    return "data:image/svg+xml;base64," + base64.b64encode("".join(parts).encode()).decode()


@task(tags=["report", "charts"])
def render_chart(week: str) -> str:
    url = chart_data_uri(week)
    create_image_artifact(image_url=url, key="revenue-chart",
                          description=f"Revenue chart for {week}")
    return url


@flow(name="weekly-report", flow_run_name="weekly-report-{week}")
def weekly_report(week: str = "2024-W22", audience: str = "leadership") -> str:
    table = revenue_by_region(week)
    chart = render_chart(week)
    total = sum(v for v in table["revenue_usd"] if v is not None)
    create_markdown_artifact(
        markdown=(
            f"# Weekly report {week}\n\n"
            f"Audience: *{audience}*\n\n"
            f"Total revenue: **${total:,}**\n\n"
            f"![revenue]({chart})\n"
        ),
        key="weekly-report",
        description=f"Weekly business report for {audience}",
    )
    # keyless link artifact, produced by the flow run itself (no task run)
    create_link_artifact(
        link=f"https://bi.example.com/reports/{week}",
        link_text=f"Open {week} in BI",
    )
    return chart


# --------------------------------------------------------------------------
# A flow that fails, and a flow that persists its result
# --------------------------------------------------------------------------


@task(tags=["ingest"])
def fetch_vendor_feed(vendor: str) -> list[dict]:
    create_markdown_artifact(
        markdown=f"Fetched feed for **{vendor}**: 3 files, 1 with bad header.",
        key="vendor-feed-log",
    )
    return [{"file": f"{vendor}_{i}.csv", "ok": i != 2} for i in range(3)]


@task(tags=["ingest", "validate"])
def validate_feed(files: list[dict]) -> None:
    bad = [f["file"] for f in files if not f["ok"]]
    if bad:
        raise ValueError(f"malformed header in {', '.join(bad)}")


@flow(name="vendor-ingest", flow_run_name="vendor-ingest-{vendor}")
def vendor_ingest(vendor: str = "acme") -> None:
    files = fetch_vendor_feed(vendor)
    validate_feed(files)


@flow(name="metrics-rollup", persist_result=True)
def metrics_rollup(day: str = "2024-06-01") -> dict:
    return {"day": day, "dau": 18234, "wau": 70211}


# --------------------------------------------------------------------------
# REST-only objects: deployments, flow runs in other states, result artifact
# --------------------------------------------------------------------------


def flow_id_by_name(name: str) -> str:
    return api("GET", f"/flows/name/{name}")["id"]  # type: ignore[index]


def create_deployments() -> dict[str, dict]:
    etl_id = flow_id_by_name("nightly-etl")
    report_id = flow_id_by_name("weekly-report")
    ingest_id = flow_id_by_name("vendor-ingest")
    specs = [
        {
            "name": "nightly-etl-prod",
            "flow_id": etl_id,
            "description": "Nightly ETL into the analytics warehouse",
            "tags": ["etl", "prod"],
            "parameters": {"run_date": "2024-06-03"},
            "entrypoint": "scripts/demo_flow.py:nightly_etl",
            "path": "/opt/flows",
            "version": "1.4.0",
            "schedules": [{"schedule": {"cron": "0 2 * * *", "timezone": "UTC"},
                           "active": True}],
        },
        {
            "name": "weekly-report-monday",
            "flow_id": report_id,
            "description": "Monday morning report for leadership",
            "tags": ["reporting"],
            "parameters": {"audience": "leadership"},
            "entrypoint": "scripts/demo_flow.py:weekly_report",
            "path": "/opt/flows",
            "paused": True,
            "schedules": [{"schedule": {"interval": 604800.0,
                                        "anchor_date": "2024-06-03T07:00:00+00:00",
                                        "timezone": "UTC"},
                           "active": False}],
        },
        {
            "name": "vendor-ingest-adhoc",
            "flow_id": ingest_id,
            "tags": ["ingest"],
            "parameters": {"vendor": "globex"},
            "entrypoint": "scripts/demo_flow.py:vendor_ingest",
        },
    ]
    out = {}
    for spec in specs:
        dep = api("POST", "/deployments/", spec)
        out[spec["name"]] = dep  # type: ignore[assignment]
    return out


def deployment_run(dep: dict, name: str, parameters: dict | None = None,
                   tags_: list[str] | None = None) -> dict:
    body: dict = {"name": name, "idempotency_key": f"demo:{name}"}
    if parameters is not None:
        body["parameters"] = parameters
    if tags_ is not None:
        body["tags"] = tags_
    return api("POST", f"/deployments/{dep['id']}/create_flow_run", body)  # type: ignore[return-value]


def run_deployment_in_process(fn, fr: dict) -> None:
    """Execute a deployment's flow run here, as a worker would."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(fr["id"])
    run_flow(fn, flow_run=flow_run, parameters=flow_run.parameters,
             return_type="state")


def create_rest_runs(deps: dict[str, dict]) -> None:
    now = datetime.now(timezone.utc)
    etl, report, ingest = (deps["nightly-etl-prod"], deps["weekly-report-monday"],
                           deps["vendor-ingest-adhoc"])

    # Deployment runs that were actually executed (Completed, with artifacts).
    fr = deployment_run(etl, "nightly-etl-prod-2024-06-03",
                        {"run_date": "2024-06-03"}, ["scheduled"])
    run_deployment_in_process(nightly_etl, fr)
    fr = deployment_run(report, "weekly-report-2024-W23",
                        {"week": "2024-W23", "audience": "leadership"})
    run_deployment_in_process(weekly_report, fr)

    # Scheduled in the future (stays Scheduled).
    fr = deployment_run(etl, "nightly-etl-prod-2024-06-04", {"run_date": "2024-06-04"},
                        ["scheduled"])
    set_state(fr["id"], "SCHEDULED", "Scheduled",
              scheduled_time=(now + timedelta(hours=12)).isoformat())

    # Late: scheduled in the past, never picked up.
    fr = deployment_run(report, "weekly-report-2024-W24", {"week": "2024-W24"})
    set_state(fr["id"], "SCHEDULED", "Late",
              scheduled_time=(now - timedelta(hours=3)).isoformat())

    # Pending: submitted to infrastructure, not started yet.
    fr = deployment_run(ingest, "vendor-ingest-globex-pending", {"vendor": "globex"})
    set_state(fr["id"], "PENDING", "Pending")

    # Cancelled by a user.
    fr = deployment_run(ingest, "vendor-ingest-initech-cancelled", {"vendor": "initech"})
    set_state(fr["id"], "PENDING", "Pending")
    set_state(fr["id"], "RUNNING", "Running")
    set_state(fr["id"], "CANCELLING", "Cancelling", "Cancelled by analyst@example.com")
    set_state(fr["id"], "CANCELLED", "Cancelled", "Flow run was cancelled by a user.")

    # Crashed: the infrastructure died (no deployment: an ad-hoc run).
    fr = api("POST", "/flow_runs/", {
        "flow_id": flow_id_by_name("nightly-etl"),
        "name": "nightly-etl-2024-05-31-backfill",
        "parameters": {"run_date": "2024-05-31", "sources": ["orders"]},
        "tags": ["backfill"],
    })
    set_state(fr["id"], "PENDING", "Pending")  # type: ignore[index]
    set_state(fr["id"], "RUNNING", "Running")  # type: ignore[index]
    set_state(fr["id"], "CRASHED", "Crashed",  # type: ignore[index]
              "Flow run infrastructure exited with non-zero status code 137.")


def create_result_artifact() -> None:
    """An artifact of type "result", shaped like the metadata the SDK sends
    for a persisted result (prefect._internal.result_records.ResultRecordMetadata)."""
    from prefect._internal.result_records import ResultRecordMetadata

    runs = api("POST", "/flow_runs/filter", {
        "flow_runs": {"name": {"any_": ["metrics-rollup-2024-06-02"]}}, "limit": 1})
    fr = runs[0] if runs else None  # type: ignore[index]
    meta = ResultRecordMetadata(
        storage_key="/opt/prefect/storage/4f1c0a6e2d5b4a8c9e7f3b1d2c6a9e05",
    ).model_dump(mode="json", serialize_as_any=True)
    api("POST", "/artifacts/", {
        "type": "result",
        "description": "Persisted result of metrics-rollup",
        "data": meta,
        "flow_run_id": fr["id"] if fr else None,
    })


# --------------------------------------------------------------------------


def wait_for_task_runs(timeout: float = 90.0) -> int:
    """Poll task_runs/count until it has not changed for a few seconds."""
    deadline = time.monotonic() + timeout
    last, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = api("POST", "/task_runs/count", {})
        # also require no task run to be left in a non-final state
        pending = api("POST", "/task_runs/count", {"task_runs": {"state": {"type": {
            "any_": ["PENDING", "RUNNING", "SCHEDULED"]}}}})
        if n != last:
            last, stable_since = n, time.monotonic()  # type: ignore[assignment]
        elif pending == 0 and time.monotonic() - stable_since >= 6:
            return n  # type: ignore[return-value]
        time.sleep(1)
    raise SystemExit(f"task runs did not settle within {timeout}s (last count {last})")


def wait_for_auto_scheduled(dep: dict, want: int = 3, timeout: float = 60.0) -> None:
    """The scheduler service creates the first runs of a deployment with an
    active schedule shortly after it is created; wait for them so the snapshot
    does not depend on timing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = api("POST", "/flow_runs/filter", {
            "deployments": {"id": {"any_": [dep["id"]]}}, "limit": 200})
        if sum(1 for r in runs if r["auto_scheduled"]) >= want:  # type: ignore[union-attr,index]
            return
        time.sleep(1)
    raise SystemExit(f"scheduler did not create {want} runs for {dep['name']}")


def main() -> None:
    with tags("etl", "nightly"):
        nightly_etl("2024-06-01")
        nightly_etl("2024-06-02", ["orders"])
    with tags("reporting"):
        weekly_report("2024-W22")
        weekly_report("2024-W22", audience="finance")
    with tags("ingest"):
        state = vendor_ingest("acme", return_state=True)
        assert state.is_failed(), state
    metrics_rollup.with_options(flow_run_name="metrics-rollup-2024-06-02")("2024-06-02")

    deps = create_deployments()
    create_rest_runs(deps)
    create_result_artifact()
    wait_for_auto_scheduled(deps["nightly-etl-prod"])

    n = wait_for_task_runs()
    print(f"demo data written to {API}: {n} task runs", file=sys.stderr)


if __name__ == "__main__":
    main()
