// The one WASI call table (jit/wasi/imports.ts) and the one mirroring protocol driven by it
// (FdMirror): what the native servers (the user-space fast stub, kwasm.ko) rely on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WASI, WASI_FUNCTIONS, wasiFunction, wasiCallOf, Errno, type FdMirror, type WasiFunction } from '../../jit/wasi/index.js';
import { FAST_OPS } from '../../jit/runtime/so-layout.js';

test('every preview 1 function once; native servers have the fast stub\'s exact signature', () => {
  assert.is(WASI_FUNCTIONS.length, 46);
  assert.is(new Set(WASI_FUNCTIONS.map((f) => f.name)).size, 46);
  const natives = WASI_FUNCTIONS.filter((f) => f.native !== undefined);
  assert.equal(natives.map((f) => [f.name, f.native]),
    [['fd_close', 'close'], ['fd_fdstat_get', 'fdstat'], ['fd_filestat_get', 'filestat'], ['fd_pread', 'pread'], ['fd_read', 'read'], ['fd_write', 'write'],
      ['path_open', 'open'], ['poll_oneoff', 'poll'], ['sock_accept', 'accept'], ['sock_recv', 'recv'], ['sock_send', 'send']]);
  assert.equal(Object.keys(FAST_OPS).sort(), natives.map((f) => f.native!).sort(), 'one stub op per native server');
  for (const f of natives) {
    // the stub's ops take FAST_OPS[op].args slots and answer an errno; the ones that change the fd
    // table natively are exactly the calls whose effect is `table` (so JS pulls before it looks)
    const op = FAST_OPS[f.native!];
    assert.equal([f.params.length, f.results], [op.args, ['i32']], f.name);
    assert.is('table' in op && op.table, f.fds === 'table', f.name);
  }
  const ids = WASI_FUNCTIONS.flatMap((f) => (f.ring0 === undefined ? [] : [f.ring0]));
  assert.is(new Set(ids).size, ids.length, 'ring-0 ids distinct');
  assert.is(wasiFunction('fd_close')?.fds, 'table');
  assert.is(wasiFunction('nope'), undefined);
});

interface Seen { pulls: string[]; pushes: string[] }
function mirror(positions: boolean): FdMirror & Seen {
  const seen: Seen = { pulls: [], pushes: [] };
  return { positions, ...seen, pull: (c?: WasiFunction) => { seen.pulls.push(c?.name ?? 'close'); }, push: (c: WasiFunction) => seen.pushes.push(c.name) };
}

test('FdMirror: pull before any call that looks at fds, push after table changes (and positions, if mirrored)', () => {
  const wasi = new WASI({ stdout: 1 });
  const memory = { buffer: new ArrayBuffer(65536) };
  wasi.initialize({ exports: { memory } });
  const withPos = mirror(true), noPos = mirror(false);
  wasi.addMirror(withPos);
  const detach = wasi.addMirror(noPos);
  const call = (name: string, ...a: unknown[]): number => wasi.wasiImport[name]!(...a);
  assert.is(call('clock_time_get', 1, 0n, 64), Errno.SUCCESS);            // none
  assert.is(call('fd_fdstat_get', 1, 64), Errno.SUCCESS);                 // reads
  assert.is(call('fd_write', 1, 0, 0, 64), Errno.SUCCESS);                // position (no iovecs)
  assert.is(call('fd_close', 9), Errno.BADF);                             // table, even when it fails
  assert.equal(withPos.pulls, ['fd_fdstat_get', 'fd_write', 'fd_close']);
  assert.equal(withPos.pushes, ['fd_write', 'fd_close']);
  assert.equal(noPos.pushes, ['fd_close']);
  detach();
  assert.is(call('fd_close', 9), Errno.BADF);
  assert.equal(noPos.pushes, ['fd_close'], 'detached');
  assert.equal(withPos.pushes, ['fd_write', 'fd_close', 'fd_close']);
});

test('attached() tells mirrors which instance start()/initialize() bound; wasiCallOf knows only WASI\'s own functions', () => {
  const wasi = new WASI({});
  const got: unknown[] = [];
  wasi.addMirror({ positions: false, push: () => undefined, attached: (i) => got.push(i) });
  const instance = { exports: { memory: { buffer: new ArrayBuffer(0) } } };
  wasi.initialize(instance);
  assert.equal(got, [instance]);
  const fn = wasi.wasiImport['fd_write'];
  assert.is(wasiCallOf(fn)?.wasi, wasi);
  assert.is(wasiCallOf(fn)?.call.name, 'fd_write');
  assert.is(wasiCallOf((...a: unknown[]) => fn!(...a)), undefined);
  assert.is(wasiCallOf(42), undefined);
});

test.run();
