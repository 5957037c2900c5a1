// fd_write from an instance made with the embedding API exactly as the README shows it
// (compile, new WASI, instantiate(module, wasi.getImportObject()), wasi.start): a command doing
// N writes of 5 bytes to /dev/null, once with the native path instantiate binds
// (jit/instance/native-wasi.ts) and once with it off (KWASM_FAST_WASI=0 at instantiation: every
// call is a host-call round trip into jit/wasi). A ratio measured in one run, no absolute claim.
//
// Run: npx tsc -p . && node dist/bench/embedded-wasi.bench.js
import { closeSync, openSync } from 'node:fs';
import { compile, instantiate, Store, WASI } from '../jit/index.js';
import { wat } from '../tests/jit/wat.js';

const N = 20000, REPS = 3;
const module = compile(wat(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "line\\n")
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 5))
    (loop $l
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${N}))))))`));

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
