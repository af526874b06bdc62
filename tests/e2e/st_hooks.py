"""Schemathesis hooks for test_schemathesis.py (loaded through
SCHEMATHESIS_HOOKS): checks of our own, registered with schemathesis.

- `same_answer_as_reference`: every generated request is also sent to a
  live Prefect 3.9.1 server (`ARTIFACTD_ST_REFERENCE`, its `/api` URL) and
  artifactd must answer with the same status code and, for a JSON error,
  the same top-level keys (`detail` against `exception_detail`). Where the
  reference fails with a 5xx, artifactd may answer better (it is held to
  `not_a_server_error` instead). A request that names an id artifactd
  generated (schemathesis reuses ids from earlier answers, always in the
  stateful phase) is not compared: the reference never handed that id out
  (it is sent, in the path or the body, as the reference's id of the same
  row when both servers answered that row's create, so the two keep the
  same rows).
  Nor is a deployment created or updated with schedules: artifactd does
  not validate (or keep) schedules, a difference the README lists.
  With ST_DEBUG_DIVERGE=FILE, every request one server accepted and the
  other refused is appended to FILE (to find where their rows part).
- `success_matches_response_schema`: a 2xx answer validates against the
  document's response schema. Error answers are held to the reference's
  actual answers by the check above instead: the reference's own document
  does not describe its 404s, its 201s or its `{"detail": "..."}` 422s.
"""

from __future__ import annotations

import json
import os
import re

import requests
import schemathesis
from schemathesis.generation.meta import TestPhase

REFERENCE = os.environ.get("ARTIFACTD_ST_REFERENCE")
_session = requests.Session()
UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
# Ids that appeared in artifactd's answers but not in the request: made by artifactd.
_generated: set[str] = set()
# Deployment names created on artifactd only (schedules it does not validate).
_diverged_names: set[str] = set()
# artifactd's id of a row -> the reference's id of the same row (both
# answered the same create), dash-less lower case.
_ours_to_ref: dict[str, str] = {}


def _to_ref(v):
    """`v` with every id artifactd made replaced by the reference's id of
    the same row (path parameters and bodies alike)."""
    if isinstance(v, dict):
        return {k: _to_ref(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_to_ref(x) for x in v]
    if isinstance(v, str):
        return _ours_to_ref.get(v.replace("-", "").lower(), v)
    return v


def _pair_ids(ours, ref) -> None:
    if not (200 <= ours.status_code < 300 and 200 <= ref.status_code < 300):
        return
    try:
        a, b = json.loads(ours.text), ref.json()
    except ValueError:
        return
    if isinstance(a, dict) and isinstance(b, dict) and isinstance(a.get("id"), str) and isinstance(b.get("id"), str):
        _ours_to_ref[a["id"].replace("-", "").lower()] = b["id"]


def _ids(text: str) -> set[str]:
    return {m.group(0).replace("-", "").lower() for m in UUID.finditer(text)}


def _request_text(case) -> str:
    return json.dumps([case.path_parameters, case.query, case.body], default=str)


def _error_keys(status: int, text: str):
    if status < 400:
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return "<not json>"
    return sorted(body) if isinstance(body, dict) else type(body).__name__


if REFERENCE:

    @schemathesis.check
    def same_answer_as_reference(ctx, response, case):
        sent = _ids(_request_text(case))
        _generated.update(_ids(response.text) - sent)
        # Always sent, so that the reference holds the same rows; an id
        # artifactd made is sent as the reference's id for the same row, so
        # a delete or update by id reaches the same row on both.
        params = dict(case.path_parameters or {})
        body = case.body
        case.path_parameters = _to_ref(params)
        if isinstance(body, (dict, list)):
            case.body = _to_ref(body)
        try:
            ref = case.call(base_url=REFERENCE, session=_session, timeout=30)
        finally:
            case.path_parameters = params
            case.body = body
        _pair_ids(response, ref)
        if os.environ.get("ST_DEBUG_DIVERGE") and (response.status_code < 300) != (ref.status_code < 300):
            with open(os.environ["ST_DEBUG_DIVERGE"], "a") as f:
                f.write(f"{case.method} {case.formatted_path} {json.dumps(case.body, default=str)[:400]} ours={response.status_code} ref={ref.status_code} {ref.text[:300]}\n")
        schedules = (
            case.operation.path in ("/deployments/", "/deployments/{id}")
            and isinstance(case.body, dict)
            and case.body.get("schedules") not in (None, [])
        )
        if schedules and response.status_code < 300 and ref.status_code >= 300 and isinstance(case.body.get("name"), str):
            _diverged_names.add(case.body["name"])
        if case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL:
            return None
        if sent & _generated:
            return None
        if schedules:
            return None
        if ref.status_code >= 500:
            return None
        # A create or update with schedules (not compared, above) may have
        # made a deployment on one server only: lookups of that name differ.
        if case.operation.path == "/deployments/name/{flow_name}/{deployment_name}" and (
            (case.path_parameters or {}).get("deployment_name") in _diverged_names
        ):
            return None
        # A method artifactd does not serve on a path it serves (the
        # reference's `PUT /admin/storage`): a 405 here, whatever the
        # reference's route answers.
        if response.status_code == 405 and case.method.upper() != case.operation.method.upper():
            return None
        ours = (response.status_code, _error_keys(response.status_code, response.text))
        theirs = (ref.status_code, _error_keys(ref.status_code, ref.text))
        if ours != theirs:
            raise AssertionError(
                f"artifactd answered {ours[0]} {response.text[:300]!r}; "
                f"the reference answered {theirs[0]} {ref.text[:300]!r}"
            )
        return None


@schemathesis.check
def success_matches_response_schema(ctx, response, case):
    if 200 <= response.status_code < 300:
        return case.operation.validate_response(response, case=case)
    return None
