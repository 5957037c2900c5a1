// The WASI class driven directly, as an engine would call it (i32 as number, i64 as
// BigInt), over a WebAssembly.Memory: shared by the unit tests of tests/wasi/.

import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Errno, WASI } from '../../jit/wasi/index.js';
import { Rights } from '../../jit/wasi/layout.js';

export type Options = ConstructorParameters<typeof WASI>[0];

export interface Setup {
  wasi: WASI;
  memory: WebAssembly.Memory;
  call(name: string, ...args: (number | bigint)[]): number;
  dv(): DataView;
  /** Writes `s` at `ptr`; returns its length in bytes. */
  put(ptr: number, s: string | Uint8Array): number;
}

/** Rights for a read-write file that can seek, tell and stat. */
export const RW = Rights.FD_READ | Rights.FD_WRITE | Rights.FD_SEEK | Rights.FD_TELL | Rights.FD_FILESTAT_GET;

export function setup(opts: Options = {}): Setup {
  const wasi = new WASI(opts);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  wasi.initialize({ exports: { memory } });
  return {
    wasi, memory,
    call: (name, ...args) => wasi.wasiImport[name](...args),
    dv: () => new DataView(memory.buffer),
    put(ptr, s) {
      const b = typeof s === 'string' ? Buffer.from(s) : s;
      new Uint8Array(memory.buffer).set(b, ptr);
      return b.length;
    },
  };
}

/** setup, fresh preopened directories under `tmp`, and path_open of a file under fd 3. */
export function harness(tmp: string): {
  setup: typeof setup;
  withDir(extra?: Options): Setup & { dir: string };
  openFile(s: Setup, path: string, oflags: number, rights: bigint): number;
} {
  return {
    setup,
    /** A fresh directory preopened as /data (fd 3). */
    withDir(extra = {}) {
      const dir = mkdtempSync(join(tmp, 'd-'));
      return { ...setup({ preopens: { '/data': dir }, ...extra }), dir };
    },
    openFile(s, path, oflags, rights) {
      const len = s.put(1000, path);
      const err = s.call('path_open', 3, 0, 1000, len, oflags, rights, 0n, 0, 900);
      assert.is(err, Errno.SUCCESS, `path_open ${path}`);
      return s.dv().getUint32(900, true);
    },
  };
}
