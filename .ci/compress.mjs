// Writes brotli (.br, quality 11) and gzip (.gz, level 9) siblings of the web app's files, which
// `leti serve` sends to browsers that accept them (static_files.rs), so nothing is compressed
// per request. Skips a file whose siblings are newer than it, and one that does not shrink;
// removes siblings whose file is gone. Prints each file's sizes and the totals.
// Usage: node .ci/compress.mjs www
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { join, extname } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const KINDS = new Set([".html", ".js", ".css", ".wasm", ".bin", ".webmanifest", ".svg", ".json"]);
const root = process.argv[2] || "www";

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

const fresh = (src, dst) => existsSync(dst) && statSync(dst).mtimeMs >= statSync(src).mtimeMs;
const kb = (n) => (n / 1024).toFixed(1).padStart(8) + " KiB";
let total = { raw: 0, br: 0, gz: 0 };
for (const p of [...files(root)]) {
  const ext = extname(p);
  if (ext === ".br" || ext === ".gz") {
    if (!existsSync(p.slice(0, -ext.length))) rmSync(p);
    continue;
  }
  if (!KINDS.has(ext)) continue;
  const raw = readFileSync(p);
  const out = { br: p + ".br", gz: p + ".gz" };
  if (!fresh(p, out.br)) {
    const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
    if (br.length < raw.length) writeFileSync(out.br, br); else rmSync(out.br, { force: true });
  }
  if (!fresh(p, out.gz)) {
    const gz = gzipSync(raw, { level: 9 });
    if (gz.length < raw.length) writeFileSync(out.gz, gz); else rmSync(out.gz, { force: true });
  }
  const size = (f) => (existsSync(f) ? statSync(f).size : raw.length);
  total.raw += raw.length; total.br += size(out.br); total.gz += size(out.gz);
  if (raw.length > 64 * 1024) console.log(`[compress] ${p}: ${kb(raw.length)} raw, ${kb(size(out.gz))} gzip, ${kb(size(out.br))} brotli`);
}
console.log(`[compress] all: ${kb(total.raw)} raw, ${kb(total.gz)} gzip, ${kb(total.br)} brotli`);
