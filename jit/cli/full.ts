// Entry of the full CLI bundle (dist/bundle/cli-full.cjs, jit/cli/bundle.ts): the whole CLI, and
// the entries the start bundle (cli-main.cjs, which leaves them out) calls through
// full-bundle.ts: the compiler for a cache miss, the validator, `compile` and `run --kernel`.
export { main } from '../cli.js';
export { compileModule } from '../compiler/module-compiler.js';
export { validateModule } from '../frontend/validator.js';
export { compileCmd } from './compile.js';
export { runKernel } from './kernel.js';
