// Builds tests/suite/ from a copy of the jsonata-js test suite
// (test/test-suite of jsonata-js/jsonata, MIT licence): every case is run
// through the pinned reference implementation (jsonata 2.0.6) and kept only
// when the reference agrees with the recorded expectation, so the vendored
// suite describes exactly the version AWS Step Functions runs.
//
// usage: node oracle/build-suite.js <path to test-suite dir> <output dir>
'use strict';
const fs = require('fs');
const path = require('path');
const jsonata = require('jsonata');

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: build-suite.js <test-suite dir> <output dir>');
  process.exit(2);
}

function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = canon(v[k]);
    return o;
  }
  return v;
}
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function hasLoneSurrogate(v) {
  if (typeof v === 'string') return LONE.test(v);
  if (Array.isArray(v)) return v.some(hasLoneSurrogate);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => LONE.test(k) || hasLoneSurrogate(x));
  return false;
}
const same = (a, b) => JSON.stringify(canon(a)) === JSON.stringify(canon(b));

function loadCases() {
  const cases = [];
  for (const top of ['groups', 'skip']) {
    const dir = path.join(src, top);
    if (!fs.existsSync(dir)) continue;
    for (const group of fs.readdirSync(dir).sort()) {
      const gdir = path.join(dir, group);
      for (const file of fs.readdirSync(gdir).sort()) {
        if (!file.endsWith('.json')) continue;
        let content = JSON.parse(fs.readFileSync(path.join(gdir, file), 'utf8'));
        const list = Array.isArray(content) ? content : [content];
        list.forEach((c, i) => {
          if (c['expr-file']) {
            c.expr = fs.readFileSync(path.join(gdir, c['expr-file']), 'utf8');
            delete c['expr-file'];
          }
          const name = list.length > 1 ? `${file.replace('.json', '')}-${i}` : file.replace('.json', '');
          cases.push({ group, name, c });
        });
      }
    }
  }
  return cases;
}

const datasets = {};
function dataset(name) {
  if (!(name in datasets)) {
    datasets[name] = JSON.parse(fs.readFileSync(path.join(src, 'datasets', name + '.json'), 'utf8'));
  }
  return datasets[name];
}

(async () => {
  const cases = loadCases();
  const byGroup = {};
  const usedDatasets = new Set();
  let kept = 0;
  const dropped = [];
  for (const { group, name, c } of cases) {
    if (c.expr === undefined) continue;
    if (c.error && c.code === undefined) {
      c.code = c.error.code;
      if (c.error.message !== undefined) c.message = c.error.message;
      if (c.error.token !== undefined) c.token = c.error.token;
    }
    const input = c.data !== undefined ? c.data : (c.dataset ? dataset(c.dataset) : undefined);
    const limited = c.timelimit !== undefined || c.depth !== undefined;
    let ok = true;
    let why = '';
    if (!limited) {
      let result, err;
      try {
        const e = jsonata(c.expr);
        result = await e.evaluate(input, c.bindings || {});
      } catch (e) {
        err = e;
      }
      if (c.code !== undefined) {
        ok = err !== undefined && err.code === c.code &&
          (c.message === undefined || err.message === c.message) &&
          (c.token === undefined || err.token === c.token);
        why = err ? `error ${err.code}` : `result ${JSON.stringify(result)}`;
      } else if (err !== undefined) {
        ok = false;
        why = `error ${err.code || err.message}`;
      } else if (c.undefinedResult) {
        ok = result === undefined;
        why = `result ${JSON.stringify(result)}`;
      } else if (c.result_re) {
        ok = typeof result === 'string' && new RegExp(c.result_re).test(result);
      } else if (c.unordered) {
        const a = (result || []).map((x) => JSON.stringify(canon(x))).sort();
        const b = (c.result || []).map((x) => JSON.stringify(canon(x))).sort();
        ok = same(a, b);
      } else {
        ok = same(JSON.parse(JSON.stringify(result === undefined ? null : result)), c.result);
        why = `result ${JSON.stringify(result)}`;
      }
    }
    if (ok && hasLoneSurrogate(c)) {
      ok = false;
      why = 'a lone UTF-16 surrogate, which Rust strings cannot hold';
    }
    if (!ok) {
      dropped.push(`${group}/${name}: ${JSON.stringify(c.expr).slice(0, 100)} — expected ${JSON.stringify(c.code || c.result)}, reference gives ${why}`);
      continue;
    }
    const entry = { name, expr: c.expr };
    if (c.data !== undefined) entry.data = c.data;
    else if (c.dataset) { entry.dataset = c.dataset; usedDatasets.add(c.dataset); }
    if (c.bindings && Object.keys(c.bindings).length) entry.bindings = c.bindings;
    for (const k of ['result', 'undefinedResult', 'code', 'message', 'token', 'result_re', 'unordered', 'timelimit', 'depth']) {
      if (c[k] !== undefined) entry[k] = c[k];
    }
    (byGroup[group] = byGroup[group] || []).push(entry);
    kept++;
  }
  fs.mkdirSync(path.join(out, 'datasets'), { recursive: true });
  for (const [group, list] of Object.entries(byGroup)) {
    fs.writeFileSync(path.join(out, group + '.json'), JSON.stringify(list, null, 1) + '\n');
  }
  for (const d of usedDatasets) {
    fs.writeFileSync(path.join(out, 'datasets', d + '.json'), JSON.stringify(dataset(d), null, 1) + '\n');
  }
  fs.writeFileSync(path.join(out, 'DROPPED.txt'), dropped.join('\n') + '\n');
  console.log(`${kept} cases kept in ${Object.keys(byGroup).length} groups, ${dropped.length} dropped (see DROPPED.txt)`);
})();
