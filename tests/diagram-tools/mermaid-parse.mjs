// Parses Mermaid diagrams with the real parser (mermaid's own, as mermaid.parse and the
// renderer use it) and prints what it read, so that tests compare it with the ASL.
// stdin: a JSON array of diagram texts. stdout: a JSON array, one entry per diagram:
//   {"ok": true, "type": "flowchart-v2", "vertices": {id: text}, "edges": [[from, to, text, stroke]],
//    "subgraphs": [[id, title, [node ids]]]}   or   {"ok": false, "error": "…"}
// Entity codes (`#60;`) are decoded in the texts.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

// mermaid keeps entity codes as placeholders until it renders: ﬂ°°NN¶ß (decimal) and ﬂ°name¶ß.
const decode = (t) => (t ?? '')
  .replace(/ﬂ°°(\d+)¶ß/g, (_, n) => String.fromCodePoint(Number(n)))
  .replace(/ﬂ°(\w+)¶ß/g, (_, n) => ({ quot: '"', amp: '&', lt: '<', gt: '>' })[n] ?? `&${n};`);

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const out = [];
for (const text of JSON.parse(Buffer.concat(chunks).toString('utf8'))) {
  try {
    await mermaid.parse(text);
    const d = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = d.db;
    out.push({
      ok: true,
      type: d.type,
      vertices: Object.fromEntries([...db.getVertices().entries()].map(([k, v]) => [k, decode(v.text)])),
      edges: db.getEdges().map((e) => [e.start, e.end, decode(e.text), e.stroke]),
      subgraphs: db.getSubGraphs().map((s) => [s.id, decode(s.title), s.nodes]),
    });
  } catch (e) {
    out.push({ ok: false, error: String(e.message ?? e) });
  }
}
process.stdout.write(JSON.stringify(out));
