#!/usr/bin/env python3
"""Compares the results of oracle/eval.js and examples/eval_batch.rs (see fuzz-gen.py)."""
import json, sys
cases = json.load(open(sys.argv[1])); ref = json.load(open(sys.argv[2])); ours = json.load(open(sys.argv[3]))
def eq(a, b):
    if isinstance(a, bool) or isinstance(b, bool): return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)): return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list): return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict): return list(a.keys()) == list(b.keys()) and all(eq(a[k], b[k]) for k in a)
    return a == b
bad = 0
for c, r, o in zip(cases, ref, ours):
    ok = False
    if 'value' in r: ok = 'value' in o and eq(r['value'], o['value'])
    elif 'undefined' in r: ok = 'undefined' in o
    elif 'code' in r: ok = o.get('code') == r['code'] and o.get('message') == r['message']
    elif 'func' in r: ok = 'func' in o
    elif 'nonFinite' in r: ok = o.get('code') == 'D1001'
    if not ok:
        bad += 1
        if bad <= 40: print(repr(c['expr'])[:200], '| input', 'array' if isinstance(c['input'], list) else 'obj', '| x=', json.dumps(c['bindings']['x']), '\n   ref:', json.dumps(r)[:200], '\n   our:', json.dumps(o)[:200])
print(len(cases), 'cases,', bad, 'mismatches')
