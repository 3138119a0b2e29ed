// Evaluates a batch of JSONata expressions with the pinned reference
// implementation (jsonata 2.0.6).
// stdin: JSON array of {expr, input?, bindings?}; stdout: JSON array of
// {value} | {undefined: true} | {code, message}.
'use strict';
const jsonata = require('jsonata');

function finite(v) {
  // JSON cannot carry NaN/Infinity: report them the way the Rust side does
  if (typeof v === 'number' && !isFinite(v)) return { nonFinite: String(v) };
  if (Array.isArray(v)) {
    for (const x of v) { const r = finite(x); if (r) return r; }
  } else if (v && typeof v === 'object') {
    if (v._jsonata_lambda || v._jsonata_function) return { func: true };
    for (const k of Object.keys(v)) { const r = finite(v[k]); if (r) return r; }
  } else if (typeof v === 'function') return { func: true };
  return null;
}

let src = '';
process.stdin.on('data', (d) => { src += d; });
process.stdin.on('end', async () => {
  const cases = JSON.parse(src);
  const out = [];
  for (const c of cases) {
    try {
      const v = await jsonata(c.expr).evaluate(c.input, c.bindings || {});
      if (v === undefined) { out.push({ undefined: true }); continue; }
      const bad = finite(v);
      if (bad && bad.func) out.push({ func: true });
      else if (bad) out.push({ nonFinite: bad.nonFinite });
      else out.push({ value: JSON.parse(JSON.stringify(v)) });
    } catch (e) {
      out.push({ code: e.code || 'JS', message: e.message });
    }
  }
  process.stdout.write(JSON.stringify(out));
});
