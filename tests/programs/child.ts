// Child process entry: `node child.js ENGINE CONFIG_JSON`. Runs one WASI
// program with the given engine, so that a trap, a stack overflow or
// proc_exit cannot disturb the test process. Exit status: the program's exit
// code (as the OS truncates it, & 255); on a trap, 134 (what wasmtime uses) with
// `trap: KIND` as the last line of stderr.

import { writeSync } from 'node:fs';
import { ENGINES, TRAP_EXIT_STATUS, type EngineRunConfig } from './engines.js';

async function main(): Promise<void> {
  const [engineName, json] = process.argv.slice(2);
  const engine = ENGINES[engineName];
  if (engine === undefined) throw new Error(`unknown engine ${engineName}`);
  const cfg = JSON.parse(json) as EngineRunConfig;
  if (cfg.nonBlockingStdio) {
    // libuv puts the pipes/sockets behind these streams in O_NONBLOCK mode;
    // writes then fail with EAGAIN whenever the reader is slower.
    void process.stdout;
    void process.stdin;
  }
  let code: number;
  try {
    code = await engine.run(cfg);
  } catch (e) {
    const kind = engine.trapKind(e);
    if (kind === undefined) throw e;
    writeSync(2, `trap: ${kind}\n`);
    process.exit(TRAP_EXIT_STATUS);
  }
  process.exit(code);
}

main().catch((e: unknown) => {
  writeSync(2, `child failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(70);
});
