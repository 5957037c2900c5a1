// The C program suite on the `v8` stand-in engine (V8 runs the wasm, our
// jit/wasi answers every host call) against node:wasi.

import { test } from 'uvu';
import { defineProgramTests } from './program-suite.js';

await defineProgramTests('v8', 'our WASI on V8 (stand-in engine)');
test.run();
