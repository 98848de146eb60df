// Checks that predictions of the wasm32 build equal the native fixture bits
// (tests/fixtures/*.expected.jsonl) and times whole-space prediction in node.
//   cargo build --release --target wasm32-unknown-unknown   (in this directory)
//   node run.mjs [SPACE.bin MODEL.json...]
// SPACE.bin: a packed space (leti::space::pack); MODEL.json: models to time on it.
import fs from 'fs';
const here = new URL('.', import.meta.url).pathname;
const bytes = fs.readFileSync(here + 'target/wasm32-unknown-unknown/release/wasm_predict_check.wasm');
const mod = await WebAssembly.compile(bytes);
// The leti library's wasm32 build also holds the web app, whose wasm-bindgen imports the
// predictor never calls: each is bound to a function that fails loudly if it ever is.
const imports = {};
for (const { module, name, kind } of WebAssembly.Module.imports(mod)) {
  if (kind !== 'function') throw new Error(`unexpected ${kind} import ${module}.${name}`);
  (imports[module] ||= {})[name] = () => { throw new Error(`the predictor called the import ${module}.${name}`); };
}
const { exports: w } = await WebAssembly.instantiate(mod, imports);
const put = (buf) => { const p = w.alloc(buf.length); new Uint8Array(w.memory.buffer, p, buf.length).set(buf); return [p, buf.length]; };
const fx = here + '../../tests/fixtures/';
let bad = 0;
for (const name of ['synthetic-gbt-calibrated', 'synthetic-ridge-log']) {
  const n = w.check(...put(fs.readFileSync(fx + name + '.model.json')), ...put(fs.readFileSync(fx + name + '.expected.jsonl')));
  console.log(`${name}: ${n} value(s) differ from the native bits`);
  bad += n === 0 ? 0 : 1;
}
const [space, ...models] = process.argv.slice(2);
if (space) {
  const [sp, sl] = put(fs.readFileSync(space));
  const time = (f) => { let best = Infinity; for (let i = 0; i < 3; i++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); } return best.toFixed(0); };
  console.log(`features of every cell: ${time(() => w.features_space(sp, sl))} ms`);
  for (const m of models) {
    const [mp, ml] = put(fs.readFileSync(m));
    console.log(`${m}: every cell predicted in ${time(() => w.predict_space(mp, ml, sp, sl))} ms`);
  }
}
process.exit(bad);
