#!/usr/bin/env python3
"""Records the reference's answers for the events API into
tests/data/events/recorded.json, which tests/api/events.rs replays against
artifactd.

Run with the reference's Python, against a FRESH reference (its database
must hold no other events) started WITH services (the event persister only
runs then):

    PREFECT_HOME=$(mktemp -d) env -u PREFECT_SERVER_API_AUTH_STRING \
        /root/prefect-ref/bin/prefect server start --host 127.0.0.1 --port 4331 &
    /root/prefect-ref/bin/python scripts/record_events.py http://127.0.0.1:4331/api

Times are written relative to a base, yesterday 00:00 UTC (so every bucket
lines up with the reference's 2024-04-01 pivot and every window ends before
now): "$T+600" is base + 600 s, in events, filters and answers alike.
`received` and `next_page` are masked; event ids are the fixed ones below.
"""

import asyncio
import datetime as dt
import json
import re
import sys
import time
import urllib.request

from websockets.asyncio.client import connect

API = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:4331/api"
OUT = "tests/data/events/recorded.json"

BASE = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def eid(n):
    return f"0193a5b2-0000-7000-8000-{n:012d}"


FR1 = "prefect.flow-run.11111111-1111-4111-8111-111111111111"
FR2 = "prefect.flow-run.22222222-2222-4222-8222-222222222222"
FLOW = "prefect.flow.33333333-3333-4333-8333-333333333333"
DEP = "prefect.deployment.44444444-4444-4444-8444-444444444444"


def ev(n, offset, name, resource, related=(), payload=None, follows=None):
    e = {
        "occurred": f"$T+{offset}",
        "event": name,
        "resource": resource,
        "related": list(related),
        "payload": payload or {},
        "id": eid(n),
    }
    if follows is not None:
        e["follows"] = eid(follows)
    return e


flow_rel = {"prefect.resource.id": FLOW, "prefect.resource.role": "flow", "prefect.resource.name": "etl"}
dep_rel = {"prefect.resource.id": DEP, "prefect.resource.role": "deployment", "prefect.resource.name": "nightly"}
tag = lambda t: {"prefect.resource.id": f"prefect.tag.{t}", "prefect.resource.role": "tag"}

EVENTS = [
    ev(1, 600, "prefect.flow-run.Pending", {"prefect.resource.id": FR1, "prefect.resource.name": "brave-otter", "prefect.state-type": "PENDING"}, [flow_rel, tag("prod")]),
    ev(2, 660, "prefect.flow-run.Running", {"prefect.resource.id": FR1, "prefect.resource.name": "brave-otter", "prefect.state-type": "RUNNING"}, [flow_rel, tag("prod")], follows=1),
    ev(3, 900, "prefect.flow-run.Completed", {"prefect.resource.id": FR1, "prefect.resource.name": "brave-otter", "prefect.state-type": "COMPLETED"}, [flow_rel, tag("prod")], {"note": "all good"}, follows=2),
    ev(4, 3600, "prefect.flow-run.Pending", {"prefect.resource.id": FR2, "prefect.resource.name": "calm-heron", "prefect.state-type": "PENDING"}, [flow_rel, dep_rel]),
    ev(5, 3700, "prefect.flow-run.Failed", {"prefect.resource.id": FR2, "prefect.resource.name": "calm-heron", "prefect.state-type": "FAILED"}, [flow_rel, dep_rel, tag("nightly")], {"error": "Connection timeout to db"}),
    ev(6, 7200, "prefect.deployment.updated", {"prefect.resource.id": DEP, "prefect.resource.name": "nightly"}, [flow_rel], {"updated_fields": ["description"]}),
    ev(7, 7300, "custom.thing.happened", {"prefect.resource.id": "acme.widget.1", "acme.color": "blue"}, [], {"size": 3}),
    ev(8, 7400, "custom.thing.happened", {"prefect.resource.id": "acme.widget.2", "acme.color": "red", "prefect.name": "second widget"}, [tag("prod")]),
    ev(9, 40000, "custom.thing.happened", {"prefect.resource.id": "acme.widget.1", "acme.color": "green"}),
    ev(10, 50000, "custom.other_thing", {"prefect.resource.id": "acme.gadget.9"}, [{"prefect.resource.id": "acme.widget.1", "prefect.resource.role": "part"}]),
]
# The same id again, with other content: the first one stays.
DUPLICATE = ev(3, 950, "prefect.flow-run.Crashed", {"prefect.resource.id": FR1})

W = {"since": "$T+0", "until": "$T+72000"}


def win(**kw):
    f = {"occurred": dict(W)}
    f.update(kw)
    return f


CASES = [
    ("all", "POST", "/events/filter", {"filter": win()}),
    ("all_asc", "POST", "/events/filter", {"filter": win(order="ASC")}),
    ("limit_3_paged", "POST", "/events/filter", {"filter": win(), "limit": 3}),
    ("limit_0", "POST", "/events/filter", {"filter": win(), "limit": 0}),
    ("window", "POST", "/events/filter", {"filter": {"occurred": {"since": "$T+650", "until": "$T+3700"}}}),
    ("prefix", "POST", "/events/filter", {"filter": win(event={"prefix": ["prefect.flow-run."]})}),
    ("prefix_case", "POST", "/events/filter", {"filter": win(event={"prefix": ["PREFECT.DEPLOYMENT"]})}),
    ("exclude_prefix", "POST", "/events/filter", {"filter": win(event={"exclude_prefix": ["prefect."]})}),
    ("names", "POST", "/events/filter", {"filter": win(event={"name": ["prefect.flow-run.Failed", "custom.other_thing"]})}),
    ("exclude_name", "POST", "/events/filter", {"filter": win(event={"exclude_name": ["custom.thing.happened"], "prefix": ["custom"]})}),
    ("empty_lists", "POST", "/events/filter", {"filter": win(event={"prefix": []}, resource={"id": []})}),
    ("resource_id", "POST", "/events/filter", {"filter": win(resource={"id": [FR2]})}),
    ("resource_id_prefix", "POST", "/events/filter", {"filter": win(resource={"id_prefix": ["acme.widget"]})}),
    ("resource_labels_glob", "POST", "/events/filter", {"filter": win(resource={"labels": {"acme.color": ["r*", "gr?en"]}})}),
    ("resource_labels_negated", "POST", "/events/filter", {"filter": win(resource={"labels": {"acme.color": "!blue"}})}),
    ("resource_labels_id", "POST", "/events/filter", {"filter": win(resource={"labels": {"prefect.resource.id": "prefect.flow-run.*"}})}),
    ("resource_labels_empty_values", "POST", "/events/filter", {"filter": win(resource={"labels": {"acme.color": []}})}),
    ("distinct", "POST", "/events/filter", {"filter": win(resource={"distinct": True})}),
    ("distinct_prefix", "POST", "/events/filter", {"filter": win(resource={"distinct": True, "id_prefix": ["prefect.flow-run"]})}),
    ("related_id", "POST", "/events/filter", {"filter": win(related={"id": [DEP]})}),
    ("related_role", "POST", "/events/filter", {"filter": win(related={"role": ["tag"]})}),
    ("related_list", "POST", "/events/filter", {"filter": win(related=[{"role": ["flow"]}, {"id": ["prefect.tag.prod"]}])}),
    ("related_in_roles", "POST", "/events/filter", {"filter": win(related={"resources_in_roles": [["prefect.tag.nightly", "tag"], ["acme.widget.1", "part"]]})}),
    ("related_labels", "POST", "/events/filter", {"filter": win(related={"labels": {"prefect.resource.name": "night*"}})}),
    ("any_resource_id", "POST", "/events/filter", {"filter": win(any_resource={"id": ["acme.widget.1"]})}),
    ("any_resource_prefix_list", "POST", "/events/filter", {"filter": win(any_resource=[{"id_prefix": ["prefect.flow."]}, {"id_prefix": ["prefect.tag."]}])}),
    ("any_resource_labels_role", "POST", "/events/filter", {"filter": win(any_resource={"labels": {"prefect.resource.role": "deployment"}})}),
    ("ids", "POST", "/events/filter", {"filter": win(id={"id": [eid(2), eid(7).upper(), eid(99)]})}),
    ("text", "POST", "/events/filter", {"filter": win(text={"query": "timeout"})}),
    ("text_exclude", "POST", "/events/filter", {"filter": win(text={"query": "widget -blue"})}),
    ("text_phrase", "POST", "/events/filter", {"filter": win(text={"query": '"all good"'})}),
    ("no_body", "POST", "/events/filter", None),
    ("count_event", "POST", "/events/count-by/event", {"filter": win()}),
    ("count_resource", "POST", "/events/count-by/resource", {"filter": win()}),
    ("count_resource_prefix", "POST", "/events/count-by/resource", {"filter": win(event={"prefix": ["custom"]})}),
    ("count_day", "POST", "/events/count-by/day", {"filter": {"occurred": {"since": "$T+0", "until": "$T+86399"}}}),
    ("count_time_hours", "POST", "/events/count-by/time", {"filter": win(), "time_unit": "hour", "time_interval": 4}),
    ("count_time_minutes", "POST", "/events/count-by/time", {"filter": {"occurred": {"since": "$T+0", "until": "$T+3600"}}, "time_unit": "minute", "time_interval": 5}),
    # 422s and refusals
    ("bad_limit_high", "POST", "/events/filter", {"limit": 51}),
    ("bad_limit_negative", "POST", "/events/filter", {"limit": -1}),
    ("bad_limit_type", "POST", "/events/filter", {"limit": "many"}),
    ("bad_extra", "POST", "/events/filter", {"filter": {"nope": 1}}),
    ("bad_nested_extra", "POST", "/events/filter", {"filter": {"event": {"prefixes": ["x"]}}}),
    ("bad_prefix_type", "POST", "/events/filter", {"filter": {"event": {"prefix": "prefect."}}}),
    ("bad_order", "POST", "/events/filter", {"filter": {"order": "sideways"}}),
    ("bad_since", "POST", "/events/filter", {"filter": {"occurred": {"since": "yesterday"}}}),
    ("bad_id", "POST", "/events/filter", {"filter": {"id": {"id": ["not-a-uuid"]}}}),
    ("bad_text_long", "POST", "/events/filter", {"filter": {"text": {"query": "x" * 201}}}),
    ("bad_text_missing", "POST", "/events/filter", {"filter": {"text": {}}}),
    ("bad_distinct", "POST", "/events/filter", {"filter": {"resource": {"distinct": "maybe"}}}),
    ("count_bad_countable", "POST", "/events/count-by/planet", {"filter": win()}),
    ("count_missing_filter", "POST", "/events/count-by/event", {}),
    ("count_no_body", "POST", "/events/count-by/event", None),
    ("count_bad_unit", "POST", "/events/count-by/time", {"filter": win(), "time_unit": "fortnight"}),
    ("count_small_interval", "POST", "/events/count-by/time", {"filter": win(), "time_unit": "hour", "time_interval": 0.001}),
    ("count_too_many_buckets", "POST", "/events/count-by/time", {"filter": win(), "time_unit": "second", "time_interval": 1}),
    ("count_too_many_buckets_event", "POST", "/events/count-by/event", {"filter": win(), "time_unit": "second"}),
    ("next_no_token", "GET", "/events/filter/next", None),
    ("next_bad_token", "GET", "/events/filter/next?page-token=%21%21%21", None),
    ("next_empty_token", "GET", "/events/filter/next?page-token=", None),
    ("next_not_json_token", "GET", "/events/filter/next?page-token=aGVsbG8%3D", None),
]


def fill(v):
    """Replaces "$T+N" by base + N seconds."""
    if isinstance(v, str):
        m = re.fullmatch(r"\$T\+(\d+)", v)
        if m:
            return (BASE + dt.timedelta(seconds=int(m.group(1)))).isoformat().replace("+00:00", "Z")
        return v
    if isinstance(v, list):
        return [fill(x) for x in v]
    if isinstance(v, dict):
        return {k: fill(x) for k, x in v.items()}
    return v


def mask(v, key=None):
    if key == "received" and isinstance(v, str):
        return "<received>"
    if key == "next_page" and v is not None:
        return "<next_page>"
    if isinstance(v, str) and TIME_RE.match(v):
        try:
            t = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return v
        off = (t - BASE) / dt.timedelta(microseconds=1)
        return f"$T{int(off):+d}us"
    if isinstance(v, list):
        return [mask(x) for x in v]
    if isinstance(v, dict):
        return {k: mask(x, k) for k, x in v.items()}
    return v


def call(method, path, body):
    data = None if body is None else json.dumps(fill(body)).encode()
    url = path if path.startswith("http") else API + path
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


async def post_events(events):
    ws_url = API.replace("http", "ws", 1) + "/events/in"
    async with connect(ws_url, subprotocols=["prefect"]) as ws:
        await ws.send(json.dumps({"type": "auth", "token": None}))
        assert json.loads(await ws.recv())["type"] == "auth_success"
        for e in events:
            await ws.send(json.dumps(fill(e)))


# What the server emits itself for flows, deployments and artifact
# collections: these steps (method, path, body, a name for the answer's
# id; "<name>" in a path or body is that id), then every event about them
# read back, oldest first.
EMITTING_STEPS = [
    ["POST", "/flows/", {"name": f"emitting-flow-{int(time.time())}", "tags": ["t"]}, "<flow>"],
    ["POST", "/deployments/", {"name": "dep", "flow_id": "<flow>", "description": "one", "tags": ["a"]}, "<deployment>"],
    ["POST", "/deployments/", {"name": "dep", "flow_id": "<flow>", "description": "two", "tags": ["a"], "paused": True}, None],
    ["POST", "/deployments/", {"name": "dep", "flow_id": "<flow>", "description": "two", "tags": ["a"], "paused": True}, None],
    ["POST", "/flow_runs/", {"flow_id": "<flow>", "name": "artifact-run"}, "<run>"],
    ["POST", "/artifacts/", {"key": "emitted-key", "type": "markdown", "data": "# one", "description": "first", "flow_run_id": "<run>"}, "<artifact 1>"],
    ["POST", "/artifacts/", {"key": "emitted-key", "type": "table", "data": {"a": [1, 2]}}, "<artifact 2>"],
    ["POST", "/artifacts/", {"type": "markdown", "data": "no key, no collection"}, "<artifact 3>"],
    ["DELETE", "/artifacts/<artifact 2>", None, None],
    ["DELETE", "/artifacts/<artifact 1>", None, None],
    ["POST", "/variables/", {"name": "emitted_var", "value": {"n": 1}, "tags": ["x"]}, "<variable>"],
    ["PATCH", "/variables/<variable>", {"value": [1, "two"]}, None],
    ["PATCH", "/variables/name/emitted_var", {"tags": ["y", "z"]}, None],
    ["DELETE", "/variables/name/emitted_var", None, None],
]
EMITTED_PREFIXES = ["prefect.flow.", "prefect.deployment.", "prefect.artifact-collection.", "prefect.variable."]
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def name_uuids(text, names):
    """UUIDs by their step names; others numbered as they first appear."""
    def sub(m):
        u = m.group(0)
        if u not in names:
            names[u] = f"<uuid {sum(1 for v in names.values() if v.startswith('<uuid '))}>"
        return names[u]
    return UUID_RE.sub(sub, text)


def normalize_emitted(events, names):
    out = []
    for e in events:
        e = dict(e)
        for k in ("occurred", "received"):
            e[k] = "<time>"
        # uuid7(): time-ordered, version 7.
        e["id"] = "<uuid7>" if e["id"][14] == "7" else e["id"]
        e = json.loads(name_uuids(json.dumps(e), names))
        # The reference lists changes in a Python set's (random) order.
        if "updated_fields" in e["payload"]:
            e["payload"]["updated_fields"] = sorted(e["payload"]["updated_fields"])
        out.append(e)
    return out


def with_names(v, ids):
    text = json.dumps(v)
    for name, i in ids.items():
        text = text.replace(name, i)
    return json.loads(text)


def record_emitted():
    since = dt.datetime.now(dt.timezone.utc).isoformat()
    ids = {}
    for method, path, body, name in EMITTING_STEPS:
        path, body = with_names(path, ids), with_names(body, ids)
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(10):
            req = urllib.request.Request(API + path, data=data, method=method, headers={"content-type": "application/json"})
            try:
                with urllib.request.urlopen(req) as r:
                    answer = json.loads(r.read() or b"null")
                break
            except urllib.error.HTTPError as e:
                # The reference's SQLite is sometimes busy with its services.
                if e.code != 503 or attempt == 9:
                    raise RuntimeError(f"{method} {path}: {e.code} {e.read()!r}")
                time.sleep(1)
        if name:
            ids[name] = answer["id"]
    flt = {"filter": {"occurred": {"since": since}, "event": {"prefix": EMITTED_PREFIXES}, "order": "ASC"}}
    # The persister writes in batches every few seconds.
    time.sleep(7)
    status, page = call("POST", "/events/filter", flt)
    names = {i: name for name, i in ids.items()}
    return {"steps": EMITTING_STEPS, "prefixes": EMITTED_PREFIXES, "events": normalize_emitted(page["events"], names)}


def main():
    asyncio.run(post_events(EVENTS))
    # The persister flushes every 5 s; then the duplicate goes in.
    for _ in range(60):
        if call("POST", "/events/filter", {"filter": win()})[1]["total"] >= len(EVENTS):
            break
        time.sleep(0.5)
    asyncio.run(post_events([DUPLICATE]))
    time.sleep(7)
    cases = []
    for name, method, path, body in CASES:
        status, answer = call(method, path, body)
        case = {"name": name, "method": method, "path": path, "body": body, "status": status, "answer": mask(answer)}
        # Follow the pages to the end (at most 3: with limit 0 the
        # reference offers a next page forever).
        pages = []
        while status == 200 and isinstance(answer, dict) and answer.get("next_page") and len(pages) < 3:
            status, answer = call("GET", answer["next_page"], None)
            pages.append({"status": status, "answer": mask(answer)})
        if pages:
            case["pages"] = pages
        cases.append(case)
    # Last: the default-window cases above must not see these.
    emitted = record_emitted()
    with open(OUT, "w") as f:
        json.dump({"events": EVENTS, "duplicate": DUPLICATE, "cases": cases, "emitted": emitted}, f, indent=1)
        f.write("\n")
    print(f"recorded {len(cases)} cases into {OUT}")


if __name__ == "__main__":
    main()
