// Every count and length a module passes to a host call is bounded before anything is built
// (issue #12.3): the 117-byte "bombs" of /work/shared/bugs (fd_write with ~536M iovecs, poll_oneoff
// with 83M subscriptions, over a zeroed 4 GiB memory) get a clean EINVAL at once, with host
// memory unchanged; a request for more than MAX_RW_COUNT bytes is a short count, as on Linux.
// Before the bounds, node grew to 5-7.5 GB and aborted after 40-90 s.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync } from 'node:fs';
import { compile, instantiate, WASI } from '../../jit/index.js';
import { GuestMemory, IOV_MAX, MAX_RW_COUNT } from '../../jit/wasi/memory.js';
import { MAX_SUBSCRIPTIONS } from '../../jit/wasi/poll.js';
import { Errno } from '../../jit/wasi/errno.js';
import { wat } from '../jit/wat.js';

/**
 * A module whose `go` grows memory to 4 GiB, lets `setup` write into it, calls `call` and returns
 * (errno << 32) | the u32 at 0xfffffff0 (where the call's count lands).
 */
function module(imports: string, setup: string, call: string): Uint8Array {
  return wat(`(module
    ${imports}
    (memory (export "memory") 1)
    (func (export "go") (result i64)
      (local $e i32)
      (drop (memory.grow (i32.const 65535)))
      ${setup}
      (local.set $e ${call})
      (i64.or (i64.shl (i64.extend_i32_u (local.get $e)) (i64.const 32))
              (i64.extend_i32_u (i32.load (i32.const 0xfffffff0))))))`);
}

const RW = (name: string): string =>
  `(import "wasi_snapshot_preview1" "${name}" (func $f (param i32 i32 i32 i32) (result i32)))`;

interface Outcome { errno: number; count: number; ms: number; rssGrowthMiB: number; }

function run(bytes: Uint8Array): Outcome {
  const devnull = openSync('/dev/null', 'r+');
  try {
    const wasi = new WASI({ stdin: devnull, stdout: devnull, stderr: devnull });
    const inst = instantiate(compile(bytes), wasi.getImportObject());
    wasi.initialize(inst);
    const rss0 = process.memoryUsage().rss;
    const t0 = Date.now();
    const r = (inst.exports.go as () => bigint)();
    const ms = Date.now() - t0;
    const rssGrowthMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
    inst.store.dispose();
    return { errno: Number(r >> 32n), count: Number(r & 0xffffffffn), ms, rssGrowthMiB };
  } finally {
    closeSync(devnull);
  }
}

test('iovbomb: fd_write / fd_read with ~536M iovecs over 4 GiB is EINVAL at once, no host memory', () => {
  for (const name of ['fd_write', 'fd_read']) {
    const o = run(module(RW(name), '', '(call $f (i32.const 1) (i32.const 0) (i32.const 0x1ffffffe) (i32.const 0xfffffff0))'));
    assert.is(o.errno, Errno.INVAL, name);
    assert.ok(o.rssGrowthMiB < 64, `${name}: RSS grew ${o.rssGrowthMiB} MiB`);
    console.log(`  (${name} bomb: EINVAL after ${o.ms} ms, RSS +${o.rssGrowthMiB.toFixed(1)} MiB)`);
  }
});

test('pollbomb: poll_oneoff with 83M subscriptions over 4 GiB is EINVAL at once, no host memory', () => {
  const o = run(module(RW('poll_oneoff'), '', '(call $f (i32.const 0) (i32.const 0) (i32.const 0x5000000) (i32.const 0xfffffff0))'));
  assert.is(o.errno, Errno.INVAL);
  assert.ok(o.rssGrowthMiB < 64, `RSS grew ${o.rssGrowthMiB} MiB`);
  // the limit itself is served: MAX_SUBSCRIPTIONS zeroed (clock, timeout 0) subscriptions all fire
  const at = run(module(RW('poll_oneoff'), '', `(call $f (i32.const 0) (i32.const 0x10000000) (i32.const ${MAX_SUBSCRIPTIONS}) (i32.const 0xfffffff0))`));
  assert.is(at.errno, Errno.SUCCESS);
  assert.is(at.count, MAX_SUBSCRIPTIONS);
});

test('IOV_MAX iovecs are served, IOV_MAX + 1 are EINVAL (as Linux writev)', () => {
  // zeroed memory: every iovec is {buf 0, len 0}
  for (const [n, errno] of [[IOV_MAX, Errno.SUCCESS], [IOV_MAX + 1, Errno.INVAL]] as const) {
    const o = run(module(RW('fd_write'), '', `(call $f (i32.const 1) (i32.const 0) (i32.const ${n}) (i32.const 0xfffffff0))`));
    assert.is(o.errno, errno, `${n} iovecs`);
  }
});

test('more than MAX_RW_COUNT bytes in one call is a short count (two 4 GiB iovecs to /dev/null)', () => {
  const setup = `(i32.store (i32.const 4) (i32.const 0xffffffe0)) (i32.store (i32.const 12) (i32.const 0xffffffe0))`;
  const o = run(module(RW('fd_write'), setup, '(call $f (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 0xfffffff0))'));
  assert.is(o.errno, Errno.SUCCESS);
  assert.is(o.count, MAX_RW_COUNT);
});

test('GuestMemory.iovecs (the path fd_read/fd_write/fd_pread/fd_pwrite/sock_recv/sock_send share)', () => {
  const mem = new GuestMemory({ buffer: new ArrayBuffer(65536) });
  assert.throws(() => mem.iovecs(0, IOV_MAX + 1), (e: Error & { errno?: number }) => e.errno === Errno.INVAL);
  assert.throws(() => mem.iovecs(0, 0xffffffff), (e: Error & { errno?: number }) => e.errno === Errno.INVAL);
  assert.is(mem.iovecs(0, IOV_MAX).length, IOV_MAX);
  // the array itself out of memory: EFAULT before anything is read
  assert.throws(() => mem.iovecs(65536 - 8, 2), (e: Error & { errno?: number }) => e.errno === Errno.FAULT);
});

test.run();
