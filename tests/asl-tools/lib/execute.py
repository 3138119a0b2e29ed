#!/usr/bin/env python3
"""Run an Amazon States Language definition locally in moto's Step Functions
interpreter (a port of LocalStack's "v2" ASL interpreter), with Lambda tasks
answered by mocks.

Usage:
  execute FILE.asl.json [--input JSON | --input-file F] [--mocks mocks.json]
          [--handler path.py:func] [--real-time] [--json] [--quiet-history]
  execute --batch cases.json [--json]       (many executions, one process;
          a case is {name, file, input, mocks | mocks_file, type?, env?}:
          "type" STANDARD|EXPRESS overrides --type, "env" {VAR: value} is set in
          os.environ while that case runs -- both stepcraft additions)

Exit status: 0 when the execution ran to an end (whatever its status:
SUCCEEDED, FAILED, TIMED_OUT, ABORTED), 2 for a usage error, 3 when the
definition was rejected by the interpreter, 1 for any other tool failure.

See README.md next to this file for the mock format and for what the tool
patches in the interpreter.
"""
from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import sys
import threading
import time
import types
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfnlocal  # noqa: E402  (applies the interpreter patches)
from sfnlocal import ToolError, Run  # noqa: E402

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

REGION = os.environ["AWS_DEFAULT_REGION"]
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/stepcraft-local"


# --------------------------------------------------------------------------
# Execution driver.
# --------------------------------------------------------------------------
_DETAIL_KEYS = ("input", "output", "error", "cause", "name", "resource", "resourceType", "parameters")


def _compact_event(e: dict) -> str:
    t = e["type"]
    details = next((v for k, v in e.items() if k.endswith("EventDetails")), {}) or {}
    parts = []
    if "name" in details:
        parts.append(repr(details["name"]))
    if t.endswith("StateEntered"):
        parts.append("in=" + details.get("input", ""))
    elif t.endswith("StateExited"):
        parts.append("out=" + details.get("output", ""))
    elif t in ("ExecutionStarted",):
        parts.append("in=" + details.get("input", ""))
    elif t in ("ExecutionSucceeded",):
        parts.append("out=" + details.get("output", ""))
    elif t.endswith("Scheduled"):
        if details.get("resource"):
            parts.append(details.get("resourceType", "") + ":" + details["resource"] if details.get("resourceType") else details["resource"])
        if "parameters" in details:
            parts.append("params=" + details["parameters"])
        elif "input" in details:
            parts.append("in=" + details["input"])
    elif t.endswith("Succeeded"):
        if "output" in details:
            parts.append("out=" + details["output"])
    if "error" in details or "cause" in details:
        parts.append(f"error={details.get('error')!s} cause={details.get('cause')!s}")
    if t == "MapStateStarted" and "length" in details:
        parts.append(f"length={details['length']}")
    if t.startswith("MapIteration") or t.startswith("Parallel"):
        if "index" in details:
            parts.append(f"index={details['index']}")
    s = " ".join(parts)
    if len(s) > 300:
        s = s[:297] + "..."
    return f"{e['id']:>3} {t} {s}".rstrip()


def _history(client, arn: str) -> list[dict]:
    events, token = [], None
    while True:
        kw = {"executionArn": arn, "maxResults": 1000}
        if token:
            kw["nextToken"] = token
        page = client.get_execution_history(**kw)
        events.extend(page["events"])
        token = page.get("nextToken")
        if not token:
            return events


_SM_COUNTER = [0]


def _norm_events(events: list) -> list[dict]:
    out = []
    for e in events:
        e = dict(e)
        e["type"] = str(getattr(e["type"], "value", e["type"]))
        out.append(e)
    return out


def _wait_done(get_status, stop, t0: float, timeout: float) -> None:
    delay = 0.0005
    while get_status() == "RUNNING":
        if time.time() - t0 > timeout:
            stop()
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def run_one(client, definition: str, input_json: str, mocks: dict, handler=None,
            real_time: bool = False, timeout: float = 60.0, sm_type: str = "STANDARD",
            via_api: bool = False) -> dict:
    """Create the state machine, run one execution to its end, return a result dict.

    Default: drive moto's Step Functions backend object directly (the same code
    the StepFunctions API calls, minus request/response serialisation: ~4x faster).
    via_api=True goes through boto3 -> moto's API layer instead."""
    run = sfnlocal.start_run(mocks, handler=handler, real_time=real_time)
    _SM_COUNTER[0] += 1
    name = f"sm{_SM_COUNTER[0]}"
    if via_api:
        try:
            sm = client.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN, type=sm_type)
        except ClientError as ex:
            return {"status": "INVALID_DEFINITION", "error": ex.response["Error"].get("Code"),
                    "cause": ex.response["Error"].get("Message"), "events": [], "notes": [], "tool_errors": []}
        t0 = time.time()
        arn = client.start_execution(stateMachineArn=sm["stateMachineArn"], name=f"{name}-exec",
                                     input=input_json)["executionArn"]
        _wait_done(lambda: client.describe_execution(executionArn=arn)["status"],
                   lambda: client.stop_execution(executionArn=arn, error="Tool.Timeout",
                                                 cause=f"still RUNNING after {timeout}s"), t0, timeout)
        elapsed = time.time() - t0
        d = client.describe_execution(executionArn=arn)
        events = _norm_events(_history(client, arn))
        client.delete_state_machine(stateMachineArn=sm["stateMachineArn"])
    else:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends
        import datetime as _dt

        backend = stepfunctions_parser_backends[ACCOUNT][REGION]
        try:
            sm = backend.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN, sm_type=sm_type)
        except Exception as ex:  # InvalidDefinition and friends
            return {"status": "INVALID_DEFINITION", "error": type(ex).__name__,
                    "cause": getattr(ex, "message", None) or str(ex), "events": [], "notes": [], "tool_errors": []}
        t0 = time.time()
        ex = backend.start_execution(sm.arn, name=f"{name}-exec", execution_input=input_json)
        _wait_done(lambda: str(getattr(ex.exec_status, "value", ex.exec_status)),
                   lambda: ex.stop(stop_date=_dt.datetime.now(tz=_dt.timezone.utc), error="Tool.Timeout",
                                   cause=f"still RUNNING after {timeout}s"), t0, timeout)
        t_stop = time.time()
        while str(getattr(ex.exec_status, "value", ex.exec_status)) == "RUNNING" and time.time() - t_stop < 3:
            time.sleep(0.01)
        elapsed = time.time() - t0
        d = ex.to_describe_output()
        d["status"] = str(getattr(d["status"], "value", d["status"]))
        events = _norm_events(ex.to_history_output()["events"])
        backend.delete_state_machine(sm.arn)
    # moto's DescribeExecution returns a string output unencoded ('ok' instead of
    # '"ok"'); the ExecutionSucceeded history event carries the JSON text.
    output = None
    for e in reversed(events):
        if e["type"] == "ExecutionSucceeded":
            output = json.loads(e["executionSucceededEventDetails"]["output"])
            break
    else:
        if d.get("output") not in (None, ""):
            try:
                output = json.loads(d["output"])
            except ValueError:
                output = d["output"]
    if d["status"] == "RUNNING":
        run.errors.append(f"execution still RUNNING {timeout}s after start (StopExecution sent; a mock "
                          "'delay' or a callback that never comes can hold it); raise --timeout")
    return {
        "status": d["status"],
        "output": output,
        "error": d.get("error"),
        "cause": d.get("cause"),
        "elapsed_s": round(elapsed, 4),
        "events": events,
        "notes": list(run.notes),
        "tool_errors": list(run.errors),
    }


def _render(res: dict, quiet_history: bool = False) -> str:
    lines = [f"status: {res['status']}"]
    if res.get("output") is not None or res["status"] == "SUCCEEDED":
        lines.append("output: " + json.dumps(res.get("output"), separators=(",", ":")))
    if res.get("error") or res.get("cause"):
        lines.append(f"error: {res.get('error')}")
        lines.append(f"cause: {res.get('cause')}")
    for msg in res.get("tool_errors") or []:
        lines.append(f"TOOL ERROR: {msg}")
    if not quiet_history and res.get("events") is not None:
        lines.append("history:")
        notes = sorted(res.get("notes", []), key=lambda n: n[0])
        ni = 0
        for e in res["events"]:
            while ni < len(notes) and notes[ni][0] < e["id"]:
                lines.append(f"    - {notes[ni][1]}")
                ni += 1
            lines.append("  " + _compact_event(e))
        while ni < len(notes):
            lines.append(f"    - {notes[ni][1]}")
            ni += 1
    return "\n".join(lines)


def _json_result(res: dict) -> dict:
    out = dict(res)
    evs = []
    for e in res.get("events", []):
        details = next((v for k, v in e.items() if k.endswith("EventDetails")), {}) or {}
        evs.append({"id": e["id"], "type": e["type"], **{k: details[k] for k in _DETAIL_KEYS if k in details}})
    out["events"] = evs
    out["notes"] = [n[1] for n in sorted(res.get("notes", []), key=lambda n: n[0])]
    return out


def _load_handler(spec: str):
    path, _, func = spec.rpartition(":")
    if not path:
        raise ToolError("--handler expects path/to/file.py:function")
    mod_spec = importlib.util.spec_from_file_location("stepcraft_mock_handler", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)
    return getattr(mod, func)


def _read_json_file(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="execute", description=__doc__.split("\n\n")[0])
    ap.add_argument("file", nargs="?", help="ASL definition (JSON)")
    ap.add_argument("--input", default=None, help="execution input JSON (default {})")
    ap.add_argument("--input-file", default=None)
    ap.add_argument("--mocks", default=None, help="mocks JSON file (see README)")
    ap.add_argument("--handler", default=None, help="python file:function answering Lambda invokes")
    ap.add_argument("--real-time", action="store_true", help="really wait in Wait states and retry back-offs")
    ap.add_argument("--timeout", type=float, default=60.0, help="give up (and stop the execution) after N s")
    ap.add_argument("--type", default="STANDARD", choices=["STANDARD", "EXPRESS"])
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ap.add_argument("--quiet-history", action="store_true")
    ap.add_argument("--batch", default=None,
                    help="JSON file: list of {file, input, mocks|mocks_file, name, type?, env?}; runs all in one process")
    ap.add_argument("--repeat", type=int, default=1, help="run the same execution N times and report rate")
    ap.add_argument("--via-api", action="store_true",
                    help="go through boto3 and moto's StepFunctions API layer (slower; default drives the backend)")
    a = ap.parse_args(argv)

    if not a.file and not a.batch:
        ap.print_usage(sys.stderr)
        return 2
    try:
        handler = _load_handler(a.handler) if a.handler else None
        cases = []
        if a.batch:
            base = os.path.dirname(os.path.abspath(a.batch))
            for i, c in enumerate(_read_json_file(a.batch)):
                f = os.path.join(base, c["file"])
                mocks = c.get("mocks")
                if mocks is None and c.get("mocks_file"):
                    mocks = _read_json_file(os.path.join(base, c["mocks_file"]))
                env = c.get("env") or {}
                if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
                    raise ToolError(f"batch case {i}: 'env' must be an object of strings")
                sm_type = c.get("type", a.type)
                if sm_type not in ("STANDARD", "EXPRESS"):
                    raise ToolError(f"batch case {i}: 'type' must be STANDARD or EXPRESS")
                with open(f, encoding="utf-8") as fh:
                    cases.append((c.get("name", f"case{i}"), f, json.dumps(c.get("input", {})), mocks or {}, fh.read(),
                                  env, sm_type))
        else:
            if a.input_file:
                with open(a.input_file, encoding="utf-8") as fh:
                    inp = fh.read()
            else:
                inp = a.input if a.input is not None else "{}"
            json.loads(inp)  # validate
            mocks = _read_json_file(a.mocks) if a.mocks else {}
            with open(a.file, encoding="utf-8") as fh:
                cases.append((os.path.basename(a.file), a.file, inp, mocks, fh.read(), {}, a.type))
    except (OSError, ValueError, ToolError) as ex:
        print(f"execute: {ex}", file=sys.stderr)
        return 2

    rc = 0
    all_json = []
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name=REGION)
        for name, f, inp, mocks, definition, env, sm_type in cases:
            t0 = time.time()
            # stepcraft: a batch case's "env" is set in os.environ while that case runs
            # (seen by a --handler and by the processes it starts), then restored.
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)
            try:
                for _ in range(max(1, a.repeat)):
                    res = run_one(client, definition, inp, mocks, handler=handler, real_time=a.real_time,
                                  timeout=a.timeout, sm_type=sm_type, via_api=a.via_api)
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            dt = time.time() - t0
            if res["status"] == "INVALID_DEFINITION":
                rc = max(rc, 3)
            elif res.get("tool_errors"):
                rc = max(rc, 1)
            if a.json:
                j = _json_result(res)
                j["name"] = name
                all_json.append(j)
            else:
                if a.batch:
                    print(f"=== {name} ({f})")
                print(_render(res, a.quiet_history))
            if a.repeat > 1:
                print(f"repeat: {a.repeat} executions in {dt:.3f}s = {a.repeat / dt:.1f}/s", file=sys.stderr)
    if a.json:
        print(json.dumps(all_json if a.batch else all_json[0], indent=None, separators=(",", ":")))
    return rc


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
