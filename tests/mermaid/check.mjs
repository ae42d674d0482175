// Parse Mermaid flowcharts with Mermaid's own parser and print what it understood, as JSON. Standard input is
// a JSON list of diagram texts; standard output a list of results, one per diagram:
// {"ok": true, "type", "vertices": [{"id", "text", "classes"}], "edges": [{"start", "end"}], "classes", "links"}
// or {"ok": false, "error"}. Loading Mermaid takes seconds, so one process parses them all.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

async function check(text) {
  try {
    const parsed = await mermaid.parse(text);
    const db = (await mermaid.mermaidAPI.getDiagramFromText(text)).db;
    const vertices = [...db.getVertices().values()].map((v) => ({ id: v.id, text: v.text, classes: v.classes }));
    const edges = db.getEdges().map((e) => ({ start: e.start, end: e.end }));
    const classes = [...db.getClasses().keys()];
    const links = vertices.map((v) => db.getTooltip?.(v.id)).filter(Boolean);
    return { ok: true, type: parsed.diagramType, vertices, edges, classes, links };
  } catch (error) {
    return { ok: false, error: String(error?.message ?? error) };
  }
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) results.push(await check(text));
console.log(JSON.stringify(results));
