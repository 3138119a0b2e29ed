#!/usr/bin/env python3
"""Generates tests/table/cases.json: a grid of expressions over numbers,
strings, arrays, objects and dates, with the results of the pinned reference
implementation (jsonata 2.0.6, oracle/eval.js) recorded as expectations.
Run from the crate directory after oracle/install.sh: python3 oracle/gen-table.py"""
import json, subprocess

numbers = ["0", "1", "-1", "0.5", "2.5", "-2.5", "1.005", "123.456", "1e21", "1.5e-7",
           "(0.1 + 0.2)", "(1 / 3)", "12345678.9", "-0.000001", "255", "1e100"]
num_exprs = ["$string({v})", "$round({v})", "$round({v}, 2)", "$floor({v})", "$ceil({v})",
             "$abs({v})", "{v} & ''", "$formatNumber({v}, '#,##0.00')", "$formatNumber({v}, '0.00%')",
             "$formatBase({v}, 2)", "$number($string({v}))", "{v} % 3", "{v} * 10", "-{v}",
             "$formatInteger({v}, '000')", "$sqrt({v})", "$power({v}, 2)", "{v} > 1", "[{v}][0]"]
strings = ["''", "'a'", "'Hello World'", "'  padded  '", "'ümlaut ß'", "'😀x'", "'a,b,,c'", "'line\\nbreak'"]
str_exprs = ["$length({s})", "$uppercase({s})", "$lowercase({s})", "$trim({s})", "$substring({s}, 1, 3)",
             "$substring({s}, -2)", "$split({s}, ',')", "$pad({s}, 8, '*')", "$pad({s}, -8)",
             "$contains({s}, 'l')", "$replace({s}, 'l', 'L')", "$base64encode({s})",
             "$encodeUrlComponent({s})", "$string({s})", "{s} & {s}", "$match({s}, /[a-z]/)",
             "$substringBefore({s}, ' ')", "$substringAfter({s}, ',')", "$number({s})", "{s} < 'b'",
             "$split({s}, /\\s+/)", "$replace({s}, /(\\w)(\\w)/, '$2$1')", "$boolean({s})"]
arrays = ["[]", "[1]", "[3, 1, 2]", "['b', 'a', 'c']", "[1, 'a']", "[[1, 2], [3]]",
          "[{'a': 1}, {'a': 2, 'b': 3}]", "[1, [2, [3, [4]]]]", "[null, true, false]"]
arr_exprs = ["$count({a})", "$sum({a})", "$sort({a})", "$reverse({a})", "$distinct({a})", "{a}[0]",
             "{a}[-1]", "$append({a}, 9)", "$zip({a}, [7, 8])", "{a}.$string()",
             "$map({a}, function($v) {{ [$v] }})", "$filter({a}, function($v, $i) {{ $i > 0 }})",
             "$keys({a})", "{a} = {a}", "$type({a})", "$exists({a}[5])", "{a}[]", "{a}.a",
             "$max({a})", "$average({a})", "$boolean({a})", "$string({a})", "{a}[$ > 1]", "$single({a})",
             "$reduce({a}, function($x, $y) {{ [$x, $y] }})", "{a} ~> $count()", "$shuffle([]) = []"]
objects = ["{}", "{'a': 1}", "{'b': 2, 'a': 1, '10': 3, '2': 4}", "{'a': {'b': {'c': [1, 2]}}}",
           "{'x': null, 'y': [], 'z': {}}"]
obj_exprs = ["$keys({o})", "$spread({o})", "$merge([{o}, {{'m': 1}}])", "{o}.*", "{o}.**",
             "$each({o}, function($v, $k) {{ $k }})", "$sift({o}, function($v) {{ $exists($v) }})",
             "$string({o})", "$lookup({o}, 'a')", "{o} ~> |$|{{'new': true}}|", "$type({o})",
             "{o}.a.b.c[1]", "$count($keys({o}))", "{o} = {o}", "$boolean({o})"]
millis = ["0", "1521801216617", "1700000000000", "-86400000", "951782400000"]
pictures = ["'[Y0001]-[M01]-[D01]'", "'[H01]:[m01]:[s01].[f001]'", "'[FNn], [D1o] [MNn] [Y]'",
            "'[Dw] [MN,3-3] [YI]'", "'[h]:[m01] [PN] [Z]'", "'Week [W] of [X], day [d]'"]

cases = []
for v in numbers:
    for e in num_exprs:
        cases.append(e.format(v=v))
for s in strings:
    for e in str_exprs:
        cases.append(e.format(s=s))
for a in arrays:
    for e in arr_exprs:
        cases.append(e.format(a=a))
for o in objects:
    for e in obj_exprs:
        cases.append(e.format(o=o))
for m in millis:
    cases.append(f"$fromMillis({m})")
    for p in pictures:
        cases.append(f"$fromMillis({m}, {p})")
        cases.append(f"$fromMillis({m}, {p}, '-0500')")
    cases.append(f"$toMillis($fromMillis({m}))")

batch = [{"expr": c} for c in cases]
out = subprocess.run(["node", "oracle/eval.js"], input=json.dumps(batch).encode(),
                     capture_output=True, check=True, cwd=".").stdout
results = json.loads(out)
table = []
for c, r in zip(cases, results):
    table.append({"expr": c, **r})
with open("tests/table/cases.json", "w") as f:
    json.dump(table, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(len(table), "cases")
