// The C program suite on kwasm-jit itself (our compiler + runtime + our WASI)
// against node:wasi.

import { test } from 'uvu';
import { defineProgramTests } from './program-suite.js';

await defineProgramTests('kwasm', 'kwasm-jit with our WASI');
test.run();
