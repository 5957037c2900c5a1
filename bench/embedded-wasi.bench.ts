// fd_write from an instance made with the embedding API exactly as the README shows it
// (compile, new WASI, instantiate(module, wasi.getImportObject()), wasi.start): a command doing
// N writes of 5 bytes to /dev/null, once with the native path instantiate binds
// (jit/instance/native-wasi.ts) and once with it off (KWASM_FAST_WASI=0 at instantiation: every
// call is a host-call round trip into jit/wasi). A ratio measured in one run, no absolute claim.
//
// Run: npx tsc -p . && node dist/bench/embedded-wasi.bench.js
import { closeSync, openSync } from 'node:fs';
import { compile, instantiate, Store, WASI } from '../jit/index.js';
import { fdWriteLoop } from '../tests/jit/wat.js';

const N = 20000, REPS = 3;
const module = compile(fdWriteLoop(N));

/** Microseconds per fd_write, best of REPS runs of the whole command. */
function perCall(native: boolean): number {
  const fd = openSync('/dev/null', 'w');
  let best = Infinity;
  try {
    for (let r = 0; r < REPS; r++) {
      const wasi = new WASI({ stdout: fd });
      const store = new Store();
      if (!native) process.env['KWASM_FAST_WASI'] = '0';
      try {
        const instance = instantiate(module, wasi.getImportObject(), store);
        const t0 = process.hrtime.bigint();
        wasi.start(instance);
        best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / N);
      } finally {
        delete process.env['KWASM_FAST_WASI'];
        store.dispose();
      }
    }
  } finally { closeSync(fd); }
  return best;
}

const js = perCall(false), nat = perCall(true);
console.log('### fd_write from an embedded WASI command (/dev/null, 5 bytes)\n');
console.log('| path | µs per call |');
console.log('|---|---:|');
console.log(`| JS (KWASM_FAST_WASI=0) | ${js.toFixed(2)} |`);
console.log(`| native (default) | ${nat.toFixed(2)} |`);
console.log(`\nnative is ${(js / nat).toFixed(1)}x faster (${N} calls, best of ${REPS}).`);
