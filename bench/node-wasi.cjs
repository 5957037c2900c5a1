// node:wasi in its cheapest form, a CommonJS script (no ES module loader): the strictest
// baseline of bench/startup.bench.ts for a WASI command. Usage: node bench/node-wasi.cjs FILE.wasm
'use strict';
const { WASI } = require('node:wasi');
const wasi = new WASI({ version: 'preview1', args: ['prog'], env: {}, returnOnExit: true, preopens: {} });
const m = new WebAssembly.Module(require('node:fs').readFileSync(process.argv[2]));
process.exitCode = wasi.start(new WebAssembly.Instance(m, wasi.getImportObject()));
