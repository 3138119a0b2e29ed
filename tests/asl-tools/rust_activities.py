"""`execute --handler rust_activities.py:handle`: answer every Lambda task of a state
machine by running the real stepcraft activity, i.e. the function binary's CLI:

    $STEPCRAFT_BIN invoke <function> --input <payload JSON>

* exit 0, JSON on stdout            -> {"return": <that JSON>}
* exit 1, {"errorType","errorMessage"} on stderr
                                    -> {"error": errorType, "cause": errorMessage}
  (the tool then reports the Lambda FunctionError as Step Functions does: error =
  errorType, cause = the JSON text {"errorType": ..., "errorMessage": ...})
* anything else (a crash, unparsable output, a binary that cannot run) is a tool
  error: the execution is not allowed to carry on as if the function had answered.
* STEPCRAFT_BIN unset: no answer (None), so the tool falls back to its --mocks.

The function name is taken from the Task's FunctionName: a function ARN
(arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]), NAME[:QUALIFIER], or an
unsubstituted template placeholder ${PascalCaseName} (converted to snake_case).

Injected failures (to exercise Retry/Catch with activities that would succeed):
STEPCRAFT_INJECT holds a JSON rule or list of rules, or "@path" of a file holding
them. A rule

    {"function": "charge_payment", "attempts": [1], "error": "GatewayDown", "cause": "..."}

answers, instead of running the activity, with every key that is not a matching key
(here {"error": "GatewayDown", "cause": "..."}; any mock entry of the tool works, e.g.
{"service_error": "ServiceException"}). Matching keys: "function" (name, required),
"state" (Task state name, optional), "attempts" (1-based attempt numbers within one
entry of the state: 1 = first try, 2 = first retry ...; absent = every attempt).
The first matching rule wins.

A rule with "after_activity": true runs the activity first: if it fails, its failure is
the answer; otherwise the answer is the activity's {"return": ...} with the rule's other
keys added. For a .waitForTaskToken task, {"function": "ask_manager", "after_activity":
true, "callback": {"output": {...}}} (or {"error", "cause"}) thus checks that the real
activity accepts its payload, then completes the token as SendTaskSuccess/Failure would.
"""
from __future__ import annotations

import json
import os
import re
import subprocess

try:  # present when loaded by lib/execute.py (its folder is on sys.path)
    import sfnlocal as _sfnlocal
except ImportError:  # pragma: no cover - handler imported on its own
    _sfnlocal = None

_MATCH_KEYS = ("function", "state", "attempts", "after_activity")
_TIMEOUT_S = float(os.environ.get("STEPCRAFT_INVOKE_TIMEOUT", "60"))


class HandlerError(Exception):
    pass


def lambda_name(fn: str) -> str:
    """The Lambda function's name from a FunctionName parameter."""
    m = re.fullmatch(r"\$\{([A-Za-z0-9_]+)\}", fn)
    if m:  # template placeholder: ${ReserveInventory} -> reserve_inventory
        return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", m.group(1)).lower()
    parts = fn.split(":")
    if fn.startswith("arn:") and len(parts) >= 7:
        return parts[6]
    if len(parts) >= 3 and parts[1] == "function":  # ACCOUNT:function:NAME[:QUALIFIER]
        return parts[2]
    return parts[0]


def _rules() -> list[dict]:
    raw = os.environ.get("STEPCRAFT_INJECT", "").strip()
    if not raw:
        return []
    if raw.startswith("@"):
        with open(raw[1:], encoding="utf-8") as f:
            raw = f.read()
    rules = json.loads(raw)
    if isinstance(rules, dict):
        rules = [rules]
    if not isinstance(rules, list) or not all(isinstance(r, dict) and "function" in r for r in rules):
        raise HandlerError(f"STEPCRAFT_INJECT: expected a rule or a list of rules with a 'function', got {raw[:200]}")
    return rules


def _injected(name: str, state: str, attempt: int) -> dict | None:
    for rule in _rules():
        if rule["function"] != name:
            continue
        if "state" in rule and rule["state"] != state:
            continue
        if "attempts" in rule and attempt not in rule["attempts"]:
            continue
        return rule
    return None


def _fail(msg: str):
    # Recorded as a tool error (execute exits 1 and prints it) and raised.
    run = getattr(_sfnlocal, "_RUN", None)
    if run is not None:
        with run.lock:
            run.errors.append(msg)
    raise HandlerError(msg)


def invoke(name: str, payload) -> dict:
    """Runs the activity `name` of $STEPCRAFT_BIN on `payload`; returns a mock entry."""
    binary = os.environ["STEPCRAFT_BIN"]
    try:
        proc = subprocess.run(
            [binary, "invoke", name, "--input", json.dumps(payload, separators=(",", ":"))],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as ex:
        _fail(f"rust_activities: running {binary} invoke {name}: {ex}")
    if proc.returncode == 0:
        try:
            return {"return": json.loads(proc.stdout)}
        except ValueError:
            _fail(f"rust_activities: {name} exited 0 but stdout is not JSON: {proc.stdout[:300]!r}")
    if proc.returncode == 1:
        try:
            err = json.loads(proc.stderr)
            return {"error": err["errorType"], "cause": err["errorMessage"]}
        except (ValueError, KeyError, TypeError):
            pass
    _fail(f"rust_activities: {name} exited {proc.returncode}: stderr {proc.stderr.strip()[:400]!r}")


def handle(function_name: str, payload, state: str, attempt: int) -> dict | None:
    """The --handler entry point: (function_name, payload, state, attempt) -> mock entry.
    `attempt` from the tool is the state's RetryCount (0 on the first try)."""
    name = lambda_name(function_name)
    rule = _injected(name, state, attempt + 1)
    answer = None if rule is None else {k: v for k, v in rule.items() if k not in _MATCH_KEYS}
    if answer is not None and not rule.get("after_activity"):
        return answer
    if not os.environ.get("STEPCRAFT_BIN"):
        if answer is not None:
            _fail(f"rust_activities: rule {rule} has after_activity but STEPCRAFT_BIN is not set")
        return None  # the tool's --mocks answer
    result = invoke(name, payload)
    if answer is not None and "return" in result:
        return {**answer, **result}
    return result
