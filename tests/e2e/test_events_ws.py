"""`/api/events/in` with a hand-written websocket client: the reference's
handshake, clean closes on bad input, ping/pong, and task runs recorded
from events exactly as a real Prefect 3.9.1 server (task-run recorder on)
returned them. `reference/task_run_events.json` holds the events a flow's
client sent to that server and its `GET /api/task_runs/{id}` answers
afterwards."""

from __future__ import annotations

import copy
import json
import time
import uuid

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

import e2e_lib as lib

RECORDED = json.loads((lib.HERE / "reference" / "task_run_events.json").read_text())
AUTH = json.dumps({"type": "auth", "token": None})
# Computed at read time (depend on now) or stamped by the recorder.
VOLATILE = {"created", "updated", "estimated_run_time", "estimated_start_time_delta"}


def ws_url(server) -> str:
    return server.api.replace("http://", "ws://") + "/events/in"


def open_socket(server, subprotocols=("prefect",)):
    return connect(ws_url(server), subprotocols=list(subprotocols) if subprotocols else None, open_timeout=10)


def closed_with(ws, timeout=5):
    """Waits for the server to close; returns (code, reason)."""
    with pytest.raises(ConnectionClosed) as e:
        ws.recv(timeout=timeout)
    return e.value.rcvd.code if e.value.rcvd else None, e.value.rcvd.reason if e.value.rcvd else None


def send_events(server, events):
    with open_socket(server) as ws:
        ws.send(AUTH)
        assert json.loads(ws.recv(timeout=5)) == {"type": "auth_success"}
        for e in events:
            ws.send(json.dumps(e))
    # The close handshake is answered after every event before it is recorded.


def test_handshake(server):
    with open_socket(server) as ws:
        assert ws.subprotocol == "prefect"
        ws.ping().wait(5)
        ws.send(AUTH)
        assert ws.recv(timeout=5) == '{"type":"auth_success"}'
        ws.ping().wait(5)


def test_a_token_is_accepted_when_the_server_has_no_auth_string(server):
    with open_socket(server) as ws:
        ws.send(json.dumps({"type": "auth", "token": "anything"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "auth_success"}


@pytest.mark.parametrize("first", ['{"type":"hello"}', "not json", "[]"])
def test_the_first_message_must_be_auth(server, first):
    with open_socket(server) as ws:
        ws.send(first)
        assert closed_with(ws) == (1008, "Expected 'auth' message")


def test_without_the_subprotocol_there_is_no_handshake(server):
    # The reference's legacy mode: accepted, and the first message is an event.
    with open_socket(server, subprotocols=None) as ws:
        assert ws.subprotocol is None
        ws.send(json.dumps(other_event()))
        ws.ping().wait(5)


@pytest.mark.parametrize("bad", ["garbage", "{}", '{"occurred": "2024-01-01T00:00:00Z"}', json.dumps({"x": 1})])
def test_an_invalid_event_closes_the_socket_cleanly(server, bad):
    with open_socket(server) as ws:
        ws.send(AUTH)
        ws.recv(timeout=5)
        ws.send(bad)
        code, reason = closed_with(ws)
        assert code == 1007 and reason.startswith("Invalid event"), (code, reason)
    # The server carries on.
    assert httpx.get(f"{server.api}/health").json() is True


def other_event() -> dict:
    return {
        "occurred": "2024-01-01T00:00:00Z",
        "event": "my.custom.event",
        "resource": {"prefect.resource.id": "my.resource"},
        "related": [],
        "payload": {"a": 1},
        "id": str(uuid.uuid4()),
    }


def test_other_events_are_accepted_and_dropped(server):
    with open_socket(server) as ws:
        ws.send(AUTH)
        ws.recv(timeout=5)
        for _ in range(50):
            ws.send(json.dumps(other_event()))
        ws.ping().wait(5)


def test_a_task_run_event_the_recorder_cannot_use_is_dropped(server):
    e = copy.deepcopy(RECORDED["events"][0])
    e["id"] = str(uuid.uuid4())
    tid = str(uuid.uuid4())
    e["resource"]["prefect.resource.id"] = f"prefect.task-run.{tid}"
    del e["payload"]["task_run"]["task_key"]
    with open_socket(server) as ws:
        ws.send(AUTH)
        ws.recv(timeout=5)
        ws.send(json.dumps(e))
        ws.ping().wait(5)  # still open
    assert httpx.get(f"{server.api}/task_runs/{tid}").status_code == 404


def test_task_runs_from_events_are_the_reference_task_runs(server):
    send_events(server, RECORDED["events"])
    for tid, expected in RECORDED["task_runs"].items():
        r = httpx.get(f"{server.api}/task_runs/{tid}")
        assert r.status_code == 200, r.text
        got = r.json()
        assert list(got) == list(expected)
        assert {k: v for k, v in got.items() if k not in VOLATILE} == {
            k: v for k, v in expected.items() if k not in VOLATILE
        }
        assert got["estimated_start_time_delta"] == expected["estimated_start_time_delta"]


def test_an_older_event_does_not_overwrite_a_newer_state(server):
    events = copy.deepcopy(RECORDED["events"])
    tid = str(uuid.uuid4())
    mine = [e for e in events if e["resource"]["prefect.resource.id"] == events[0]["resource"]["prefect.resource.id"]]
    for e in mine:
        e["resource"]["prefect.resource.id"] = f"prefect.task-run.{tid}"
        e["payload"]["task_run"]["dynamic_key"] = str(uuid.uuid4())
        e["id"] = str(uuid.uuid4())
    last, first = mine[-1], mine[0]
    send_events(server, [last, first])  # out of order
    got = httpx.get(f"{server.api}/task_runs/{tid}").json()
    assert (got["state_type"], got["state_id"]) == ("COMPLETED", last["id"])


def test_pings_are_answered_while_idle(server):
    # The client pings on connect, before the handshake, and to checkpoint.
    with connect(ws_url(server), subprotocols=["prefect"], ping_interval=1, ping_timeout=5) as ws:
        ws.send(AUTH)
        ws.recv(timeout=5)
        time.sleep(3)
        ws.send(json.dumps(other_event()))
        ws.ping().wait(5)


def test_a_plain_get_is_the_reference_404(server):
    for path in ("/events/in", "/events/in/"):
        r = httpx.get(f"{server.api}{path}")
        assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})


def test_a_message_over_the_body_limit_closes_with_1009(server):
    with connect(ws_url(server), subprotocols=["prefect"], max_size=None) as ws:
        ws.send(AUTH)
        ws.recv(timeout=5)
        big = other_event()
        big["payload"] = {"x": "y" * (5 * 1024 * 1024)}
        ws.send(json.dumps(big))
        assert closed_with(ws, timeout=30) == (1009, "Message too big")


def test_stopping_the_server_closes_open_sockets(tmp_path):
    import signal

    s = lib.Server(tmp_path)
    try:
        ws = open_socket(s)
        ws.send(AUTH)
        ws.recv(timeout=5)
        t0 = time.time()
        s.proc.send_signal(signal.SIGTERM)
        assert closed_with(ws, timeout=10) == (1012, "")
        s.proc.wait(timeout=10)
        assert time.time() - t0 < 10, "an open socket must not hold the graceful shutdown"
    finally:
        s.stop()
