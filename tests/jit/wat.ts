// Test helper: assemble WebAssembly text with wat2wasm (Debian package wabt)
// at test time, so positive cases are real modules, not hand-copied bytes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `noCheck` keeps wat2wasm from validating, to build ill-typed modules. */
export function wat(text: string, opts: { noCheck?: boolean; names?: boolean } = {}): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-wat-'));
  try {
    writeFileSync(join(dir, 'm.wat'), text);
    const args = [join(dir, 'm.wat'), '-o', join(dir, 'm.wasm')];
    if (opts.noCheck) args.push('--no-check');
    if (opts.names) args.push('--debug-names');
    execFileSync('wat2wasm', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return new Uint8Array(readFileSync(join(dir, 'm.wasm')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Concatenate byte pieces (numbers or arrays) into a module body. */
export function bytes(...parts: (number | number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A section: id, LEB128 size, contents (size < 128 here). */
export function section(id: number, ...content: number[]): number[] {
  if (content.length > 127) throw new Error('test helper handles small sections only');
  return [id, content.length, ...content];
}

/** A WASI command whose `_start` makes `n` fd_write calls of "line\n" to stdout (fd 1): the
 *  fast-path tests and the embedded-WASI benchmark count and time these calls. */
export function fdWriteLoop(n: number): Uint8Array {
  return wat(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "line\\n")
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 5))
    (loop $l
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const ${n}))))))`);
}
