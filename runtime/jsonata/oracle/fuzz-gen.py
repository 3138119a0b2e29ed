#!/usr/bin/env python3
"""Random-expression generator for differential fuzzing against jsonata 2.0.6:
   python3 oracle/fuzz-gen.py SEED COUNT > /tmp/cases.json
   node oracle/eval.js < /tmp/cases.json > /tmp/ref.json
   cargo run --release --example eval_batch < /tmp/cases.json > /tmp/ours.json
   python3 oracle/fuzz-compare.py /tmp/cases.json /tmp/ref.json /tmp/ours.json"""
import json, random, sys
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
names = ['a', 'b', 'c', 'd', 'Price', 'items', 'x', '`k k`']
funcs1 = ['$string', '$length', '$uppercase', '$trim', '$number', '$abs', '$floor', '$round', '$count', '$sum', '$max',
          '$keys', '$reverse', '$sort', '$distinct', '$boolean', '$not', '$exists', '$type', '$spread', '$append',
          '$split', '$join', '$substring', '$pad', '$formatNumber', '$formatBase', '$formatInteger', '$merge', '$lookup',
          '$contains', '$replace', '$match', '$average', '$min', '$zip', '$base64encode', '$encodeUrlComponent', '$sqrt',
          '$power', '$substringBefore', '$substringAfter', '$lowercase', '$ceil', '$clone', '$each', '$sift', '$map',
          '$filter', '$reduce', '$single', '$toMillis', '$fromMillis', '$eval']
lits = ['0', '1', '-1', '2.5', '1e3', "'s'", "'a,b'", "''", "'Hello'", 'true', 'false', 'null', '[]', '{}', '[1,2,3]',
        "['x','y']", "{'a':1,'b':[2,3]}", '0.1', "'#,##0.0'", "'2024-01-02T03:04:05Z'", "'w'", "'[Y]'", '/[a-z]+/', '/b/i']
ops = ['+', '-', '*', '/', '%', '=', '!=', '<', '>', '<=', '>=', '&', 'and', 'or', 'in', '~>']
lam = ['function($v){$v}', 'function($v,$i){$i}', 'function($a,$b){$a}', 'function($v){$v > 1}', 'function($v,$k){$k}']

def expr(d):
    r = random.random()
    if d <= 0 or r < 0.25:
        return random.choice(lits + names + names + ['$', '$$', '$x'])
    r = random.random()
    if r < 0.25:
        return expr(d-1) + '.' + random.choice(names + ['*', '($)', '[0]', '(' + expr(d-2) + ')'])
    if r < 0.45:
        return '(' + expr(d-1) + ' ' + random.choice(ops) + ' ' + expr(d-1) + ')'
    if r < 0.65:
        f = random.choice(funcs1)
        n = random.randint(0, 3)
        args = [random.choice(lam) if random.random() < 0.25 else expr(d-1) for _ in range(n)]
        return f + '(' + ', '.join(args) + ')'
    if r < 0.72:
        return expr(d-1) + '[' + expr(d-1) + ']'
    if r < 0.78:
        return '[' + ', '.join(expr(d-1) for _ in range(random.randint(0, 3))) + ']'
    if r < 0.84:
        return '{' + ', '.join(random.choice(["'k'", "'a'", 'a', "'z'"]) + ': ' + expr(d-1) for _ in range(random.randint(0, 2))) + '}'
    if r < 0.88:
        return expr(d-1) + ' ? ' + expr(d-1) + ' : ' + expr(d-1)
    if r < 0.91:
        return '($x := ' + expr(d-1) + '; ' + expr(d-1) + ')'
    if r < 0.94:
        return expr(d-1) + '^(' + random.choice(['$', '>$', 'a', '<b']) + ')'
    if r < 0.97:
        return expr(d-1) + '{' + random.choice(["'k'", 'a', '$string($)']) + ': ' + expr(d-1) + '}'
    return '-' + expr(d-1)

inputs = [
    {"a": 1, "b": [1, 2, {"c": "x"}], "c": {"d": [3, "4"], "a": 2.5}, "items": [{"Price": 1.1, "x": "p"}, {"Price": 2.2}],
     "x": "str", "k k": True, "d": None},
    [1, {"a": [2, 3]}, "s", [4, [5]]],
]
cases = []
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 3000):
    e = expr(random.randint(1, 4))
    inp = random.choice(inputs)
    cases.append({"expr": e, "input": inp, "bindings": {"x": random.choice([1, "v", [1, 2], {"a": 1}])}})
print(json.dumps(cases))
