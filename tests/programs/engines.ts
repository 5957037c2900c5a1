// Engines that can run a WASI program inside the child process (child.ts).
//
// - `v8`: a STAND-IN engine: V8's WebAssembly.instantiate does the wasm, our
//   jit/wasi WASI class does every host call. It tests the WASI layer until the
//   kwasm-jit compiler exists.
// - `node-wasi`: the reference: V8 plus Node's own node:wasi (uvwasi).
//
// - `kwasm`: kwasm-jit itself (jit/instance compile + instantiate) with our WASI.
// - `kwasm-cli`: the real command line, `bin/kwasm-jit.js run`, in a grandchild process that
//   inherits this child's stdin/stdout (so pipes, EAGAIN and big outputs are the CLI's own
//   problem); its stderr passes through, and its `wasm trap: KIND` report becomes the suite's
//   `trap: KIND` convention (child.ts).

import '../hermetic-cache.js'; // the CLI's compiled-code cache in a temp dir, not ~/.cache
import '../fresh-bundle.js'; // the CLI tested is the bundle a user runs
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from '../../jit/wasi/index.js';
import { kwasmTrapKind, v8TrapKind } from '../fuzz/trap-kinds.js';

/** Exit status of the child when the program trapped (wasmtime's choice, 128 + SIGABRT). */
export const TRAP_EXIT_STATUS = 134;

export interface EngineRunConfig {
  wasmPath: string;
  /** Full argv, program name first. */
  args: string[];
  env: Record<string, string>;
  /** Guest directory -> host directory. */
  preopens: Record<string, string>;
  /** Make this process's stdio non-blocking first, as Node does once process.stdout/stdin are used. */
  nonBlockingStdio: boolean;
}

export interface Engine {
  readonly name: string;
  readonly description: string;
  /** Runs the program in this process and resolves to its exit code; a trap rejects. */
  run(cfg: EngineRunConfig): Promise<number>;
  /** The trap kind of an error `run` rejected with, in the spec's words; undefined if not a trap. */
  trapKind(err: unknown): string | undefined;
}

/** bin/kwasm-jit.js, from dist/tests/programs/. */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'kwasm-jit.js');

/** The CLI's command line for a program run (wasmtime's spelling of the same configuration). */
export function cliArgs(cfg: EngineRunConfig): string[] {
  const [argv0, ...rest] = cfg.args;
  return [
    'run', '--argv0', argv0,
    ...Object.entries(cfg.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...Object.entries(cfg.preopens).flatMap(([guest, host]) => ['--dir', `${host}::${guest}`]),
    cfg.wasmPath, ...rest,
  ];
}

/** A trap the CLI reported (exit status 134 and a `kwasm-jit: wasm trap: KIND` line). */
class CliTrap extends Error {
  constructor(readonly kind: string) { super(`wasm trap: ${kind}`); }
}

export const ENGINES: Readonly<Record<string, Engine>> = {
  'kwasm-cli': {
    name: 'kwasm-cli',
    description: 'kwasm-jit through its command line: bin/kwasm-jit.js run',
    run(cfg) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...cliArgs(cfg)], { stdio: ['inherit', 'inherit', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => { err += d.toString(); process.stderr.write(d); });
        child.on('error', reject);
        child.on('close', (status, signal) => {
          const m = /^kwasm-jit: wasm trap: (.*)$/m.exec(err);
          if (status === TRAP_EXIT_STATUS && m) reject(new CliTrap(m[1]));
          else if (status === null) reject(new Error(`kwasm-jit run died of ${String(signal)}`));
          else resolve(status);
        });
      });
    },
    trapKind: (err) => (err instanceof CliTrap ? err.kind : undefined),
  },
  v8: {
    name: 'v8',
    description: 'stand-in engine: V8 WebAssembly + kwasm-jit WASI (jit/wasi)',
    async run(cfg) {
      const wasi = new WASI({ args: cfg.args, env: cfg.env, preopens: cfg.preopens, returnOnExit: true });
      const { instance } = await WebAssembly.instantiate(readFileSync(cfg.wasmPath), wasi.getImportObject());
      return wasi.start(instance);
    },
    trapKind: v8TrapKind,
  },
  kwasm: {
    name: 'kwasm',
    description: 'kwasm-jit: our compiler and runtime (jit/instance) + our WASI',
    async run(cfg) {
      const { compile, instantiate } = await import('../../jit/instance/api.js');
      const wasi = new WASI({ args: cfg.args, env: cfg.env, preopens: cfg.preopens, returnOnExit: true });
      const instance = instantiate(compile(readFileSync(cfg.wasmPath)), wasi.getImportObject());
      return wasi.start(instance);
    },
    trapKind: kwasmTrapKind,
  },
  'node-wasi': {
    name: 'node-wasi',
    description: 'reference: V8 WebAssembly + node:wasi',
    async run(cfg) {
      const { WASI: NodeWASI } = await import('node:wasi');
      const wasi = new NodeWASI({ version: 'preview1', args: cfg.args, env: cfg.env, preopens: cfg.preopens, returnOnExit: true });
      const { instance } = await WebAssembly.instantiate(readFileSync(cfg.wasmPath), wasi.getImportObject() as WebAssembly.Imports);
      return wasi.start(instance);
    },
    trapKind: v8TrapKind,
  },
};
