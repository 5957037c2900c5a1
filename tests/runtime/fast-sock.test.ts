// The user-space fast path on sockets (jit/instance/native-wasi.ts, the fast stub in trampolines.ts):
// sock_recv / sock_send / fd_read / fd_write on an accepted connection are served natively —
// blocking ones wait in poll(2), FDFLAGS_NONBLOCK ones get AGAIN or a short count — and every
// answer and byte is the JS path's (the same scenario with KWASM_FAST_WASI=0), including what
// goes to JS (RECV_PEEK, siflags, a non-socket, a poll_oneoff with a CPU-time clock or an unmirrored fd).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { closeSync, openSync } from 'node:fs';
import { wat } from '../jit/wat.js';
import * as api from '../../jit/instance/api.js';
import { WASI, Errno, Interrupted } from '../../jit/wasi/index.js';
import { nativeWasiOf } from '../../jit/instance/native-wasi.js';
import { instantiateWasi } from './fast-wasi.js';

const bytes = wat(`(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $setfl (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "accept") (param i32 i32 i32) (result i32) (call $accept (local.get 0) (local.get 1) (local.get 2)))
  (func (export "recv") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $recv (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "send") (param i32 i32 i32 i32 i32) (result i32)
    (call $send (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "read") (param i32 i32 i32 i32) (result i32) (call $read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "write") (param i32 i32 i32 i32) (result i32) (call $write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "setfl") (param i32 i32) (result i32) (call $setfl (local.get 0) (local.get 1)))
  (func (export "poll") (param i32 i32 i32 i32) (result i32) (call $poll (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  ;; a server's per-request path, n times: poll_oneoff (the subscription at 3000), sock_recv into
  ;; the iovec at 1000, sock_send of what came back through the iovec at 1008; the first errno ends it
  (func (export "serve") (param $fd i32) (param $n i32) (result i32)
    (local $e i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get $n)))
      (local.set $e (call $poll (i32.const 3000) (i32.const 6000) (i32.const 1) (i32.const 100)))
      (br_if $out (local.get $e))
      (local.set $e (call $recv (local.get $fd) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 100) (i32.const 104)))
      (br_if $out (local.get $e))
      (i32.store (i32.const 1012) (i32.load (i32.const 100)))
      (local.set $e (call $send (local.get $fd) (i32.const 1008) (i32.const 1) (i32.const 0) (i32.const 100)))
      (br_if $out (local.get $e))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $e)))`);

type Fn = (...a: number[]) => number;
const IOV = 1000, BUF = 2000, RES = 100, ROF = 104, FD = 108, SUBS = 3000, EVENTS = 6000;
/** A subscription: an fd one (FD_READ 1 / FD_WRITE 2) or a clock (tag 0; MONOTONIC and relative unless given). */
type Sub = { userdata: number; tag: 1 | 2; fd: number } | { userdata: number; tag: 0; timeoutNs: number | bigint; id?: number; abs?: boolean };

/**
 * The peer, in a worker (the main thread is blocked in wasm while it works): connects, sends
 * "ping" after 100 ms (so the guest's blocking recv really waits), answers "pong!" with "abcdef"
 * then raises flag 1, and after "X" closes, raises flag 2 and reports all it received.
 */
const PEER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const flags = new Int32Array(workerData.flags);
const raise = (i) => { Atomics.store(flags, i, 1); Atomics.notify(flags, i); };
let got = '';
const s = net.connect(workerData.port, '127.0.0.1', () => setTimeout(() => s.write('ping'), 100));
s.on('data', (d) => {
  got += d.toString('latin1');
  if (got === 'pong!') s.write('abcdef', () => raise(1));
  if (got.endsWith('X')) s.end(() => { raise(2); parentPort.postMessage(got); });
});
s.on('error', (e) => { parentPort.postMessage('error ' + e.message); raise(1); raise(2); });
`;

interface Outcome { steps: unknown[]; peer: string; hits: bigint | undefined; ahead?: bigint }

/** A WASI with one loopback listener and the test module bound to it, native path on or off. */
function setup(fast: boolean, stdout?: number): { wasi: WASI; store: api.Store; inst: api.Instance; ex: Record<string, Fn> } {
  const wasi = new WASI({ listeners: [{ port: 0, host: '127.0.0.1' }], stdout });
  const { store, inst } = instantiateWasi(bytes, wasi, fast);
  return { wasi, store, inst, ex: inst.exports as Record<string, Fn> };
}

async function scenario(fast: boolean): Promise<Outcome> {
  // stdout must not be a socket for 'recv on stdout' (NOTSOCK): under tests/run.ts this process's
  // own stdout is a socketpair (node's child_process 'pipe'), where a recv would wait forever
  const stdout = openSync('/dev/null', 'w');
  const { wasi, store, inst, ex } = setup(fast, stdout);
  const listener = wasi.listeners[0]!;
  const memory = inst.exports['memory'] as { buffer: ArrayBuffer };
  const mem = (): Buffer => Buffer.from(memory.buffer);
  const flags = new Int32Array(new SharedArrayBuffer(12));
  const peer = new Worker(PEER, { eval: true, workerData: { port: listener.port, flags: flags.buffer } });
  const peerDone = new Promise<string>((resolve, reject) => { peer.once('message', resolve); peer.once('error', reject); });
  const waitFlag = (i: number): void => { Atomics.wait(flags, i, 0, 10_000); };
  /** iovecs of the given sizes over BUF..; returns [iovs, count] */
  const iov = (sizes: number[]): [number, number] => {
    let at = BUF;
    sizes.forEach((n, i) => { mem().writeUInt32LE(at, IOV + 8 * i); mem().writeUInt32LE(n, IOV + 8 * i + 4); at += n; });
    return [IOV, sizes.length];
  };
  const out = (text: string): [number, number] => { mem().write(text, BUF, 'latin1'); return iov([text.length]); };
  const count = (): number => mem().readUInt32LE(RES);
  const data = (n: number): string => mem().toString('latin1', BUF, BUF + n);
  /** poll_oneoff over `subs`: errno and the events as [userdata, error, type, nbytes, flags] */
  const poll = (subs: Sub[]): [number, unknown[]] => {
    const m = mem();
    m.fill(0xaa, SUBS, SUBS + 48 * subs.length);
    m.fill(0xbb, EVENTS, EVENTS + 32 * subs.length);
    subs.forEach((s, i) => {
      const at = SUBS + 48 * i;
      m.writeBigUInt64LE(BigInt(s.userdata), at);
      m.writeUInt8(s.tag, at + 8);
      if (s.tag === 0) {
        m.writeUInt32LE(s.id ?? 1, at + 16);
        m.writeBigUInt64LE(BigInt(s.timeoutNs), at + 24);
        m.writeBigUInt64LE(0n, at + 32);
        m.writeUInt16LE(s.abs === true ? 1 : 0, at + 40);
      } else m.writeUInt32LE(s.fd, at + 16);
    });
    const e = ex['poll']!(SUBS, EVENTS, subs.length, RES);
    const n = e === 0 ? mem().readUInt32LE(RES) : 0;
    const evs: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const at = EVENTS + 32 * i;
      evs.push([Number(mem().readBigUInt64LE(at)), mem().readUInt16LE(at + 8), mem().readUInt8(at + 10), Number(mem().readBigUInt64LE(at + 16)), mem().readUInt16LE(at + 24), mem().toString('hex', at + 11, at + 16), mem().toString('hex', at + 26, at + 32)]);
    }
    return [e, evs];
  };
  const steps: unknown[] = [];
  const step = (name: string, errno: number, extra: unknown = undefined): void => { steps.push([name, errno, extra]); };
  let hitsAt = 0n;
  try {
    const n = nativeWasiOf(inst);
    assert.is(n?.active ?? false, fast);
    step('listener blocking', ex['setfl']!(listener.fd, 0));
    step('accept', ex['accept']!(listener.fd, 0, FD));
    const fd = mem().readUInt32LE(FD);
    hitsAt = n?.hits ?? 0n;
    // blocking recv: nothing there yet, the peer sends after 100 ms
    mem().fill(0xee, ROF, ROF + 2);
    let e = ex['recv']!(fd, ...iov([16]), 0, RES, ROF);
    step('recv blocking', e, [data(count()), mem().readUInt16LE(ROF)]);
    step('nonblock', ex['setfl']!(fd, 4));
    step('recv AGAIN', ex['recv']!(fd, ...iov([16]), 0, RES, ROF));
    step('read AGAIN', ex['read']!(fd, ...iov([16]), RES));
    e = ex['send']!(fd, ...out('pong!'), 0, RES);
    step('send', e, count());
    waitFlag(1);
    // "abcdef" is there: the connection is readable (nbytes 6) and writable, the listener is not
    step('poll ready', ...poll([{ userdata: 11, tag: 1, fd }, { userdata: 12, tag: 2, fd }, { userdata: 13, tag: 1, fd: listener.fd }]));
    step('poll clock', ...poll([{ userdata: 21, tag: 1, fd: listener.fd }, { userdata: 22, tag: 0, timeoutNs: 1000 }]));
    // clocks are served natively too: a far one does not hide a ready fd; absolute ones in the
    // past (monotonic, realtime) are due at once; a sleep lasts at least its time; a CPU-time clock is JS's
    step('poll clock and fd', ...poll([{ userdata: 23, tag: 0, timeoutNs: 10_000_000_000 }, { userdata: 24, tag: 1, fd }]));
    step('poll abs past', ...poll([{ userdata: 25, tag: 0, timeoutNs: 1, abs: true }, { userdata: 26, tag: 0, timeoutNs: 1n << 63n, abs: true }]));
    step('poll realtime past', ...poll([{ userdata: 27, tag: 0, timeoutNs: 1, abs: true, id: 0 }, { userdata: 28, tag: 1, fd: listener.fd }]));
    const t0 = process.hrtime.bigint();
    const [slept, sleepEvents] = poll([{ userdata: 29, tag: 0, timeoutNs: 20_000_000 }, { userdata: 30, tag: 0, timeoutNs: (1n << 64n) - 1n }]);
    step('poll sleep', slept, [sleepEvents, process.hrtime.bigint() - t0 >= 20_000_000n]);
    step('poll cputime', ...poll([{ userdata: 32, tag: 0, timeoutNs: 1, id: 2 }]));
    step('poll bad fd', ...poll([{ userdata: 31, tag: 1, fd: 99 }])); // not mirrored: JS (BADF)
    e = ex['recv']!(fd, ...iov([3]), 1, RES, ROF); // RECV_PEEK: JS
    step('peek', e, data(count()));
    // a full first buffer, then "would block": a short count, the bytes kept
    e = ex['read']!(fd, ...iov([6, 10]), RES);
    step('read short', e, [count(), data(count())]);
    step('send siflags', ex['send']!(fd, ...out('X'), 1, RES), count()); // siflags != 0: JS
    step('recv on stdout', ex['recv']!(1, ...iov([4]), 0, RES, ROF)); // not a socket: JS
    waitFlag(2);
    step('poll EOF', ...poll([{ userdata: 41, tag: 1, fd }]));
    step('blocking', ex['setfl']!(fd, 0));
    e = ex['read']!(fd, ...iov([8]), RES);
    step('read EOF', e, count());
    const hits = n === undefined ? undefined : n.hits - hitsAt;
    return { steps, peer: await peerDone, hits, ahead: n?.aheadTaken };
  } finally {
    await peer.terminate();
    store.dispose();
    wasi.close();
    closeSync(stdout);
  }
}

test('socket calls are served natively with the JS path\'s answers and bytes; PEEK, siflags and non-sockets go to JS', async () => {
  const fast = await scenario(true);
  const js = await scenario(false);
  assert.equal(fast.steps, js.steps);
  assert.equal(fast.peer, js.peer);
  assert.equal(js.steps, [
    ['listener blocking', Errno.SUCCESS, undefined],
    ['accept', Errno.SUCCESS, undefined],
    ['recv blocking', Errno.SUCCESS, ['ping', 0]],
    ['nonblock', Errno.SUCCESS, undefined],
    ['recv AGAIN', Errno.AGAIN, undefined],
    ['read AGAIN', Errno.AGAIN, undefined],
    ['send', Errno.SUCCESS, 5],
    ['poll ready', Errno.SUCCESS, [[11, 0, 1, 6, 0, '0000000000', '000000000000'], [12, 0, 2, 0, 0, '0000000000', '000000000000']]],
    ['poll clock', Errno.SUCCESS, [[22, 0, 0, 0, 0, '0000000000', '000000000000']]],
    ['poll clock and fd', Errno.SUCCESS, [[24, 0, 1, 6, 0, '0000000000', '000000000000']]],
    ['poll abs past', Errno.SUCCESS, [[25, 0, 0, 0, 0, '0000000000', '000000000000']]],
    ['poll realtime past', Errno.SUCCESS, [[27, 0, 0, 0, 0, '0000000000', '000000000000']]],
    ['poll sleep', Errno.SUCCESS, [[[29, 0, 0, 0, 0, '0000000000', '000000000000']], true]],
    ['poll cputime', Errno.SUCCESS, [[32, 0, 0, 0, 0, '0000000000', '000000000000']]],
    ['poll bad fd', Errno.SUCCESS, [[31, Errno.BADF, 1, 0, 0, '0000000000', '000000000000']]],
    ['peek', Errno.SUCCESS, 'abc'],
    ['read short', Errno.SUCCESS, [6, 'abcdef']],
    ['send siflags', Errno.SUCCESS, 1],
    ['recv on stdout', Errno.NOTSOCK, undefined],
    ['poll EOF', Errno.SUCCESS, [[41, 0, 1, 0, 0, '0000000000', '000000000000']]],
    ['blocking', Errno.SUCCESS, undefined],
    ['read EOF', Errno.SUCCESS, 0],
  ]);
  assert.is(js.peer, 'pong!X');
  // natively: recv blocking, recv AGAIN, read AGAIN, send, poll ready, the 5 polls with monotonic or
  // realtime clocks, read short, poll EOF, read EOF (the CPU-time clock's poll is JS's)
  assert.is(fast.hits, 13n);
  assert.is(js.hits, undefined);
  // 'poll ready' learned nbytes 6 by reading "abcdef" ahead (no FIONREAD): 'poll clock and fd'
  // still counts them, the JS peek sees them first, 'read short' gets them back natively
  assert.is(fast.ahead, 1n);
});

/** A client, in a worker: `n` requests on one connection, each sent once the last one's echo is back. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
let i = 0, got = '', all = '';
const s = net.connect(workerData.port, '127.0.0.1', () => s.write('request ' + i + ';'));
s.on('data', (d) => {
  got += d.toString('latin1');
  if (got !== 'request ' + i + ';') return;
  all += got; got = '';
  if (++i < workerData.n) s.write('request ' + i + ';');
  else s.end(() => parentPort.postMessage(all));
});
s.on('error', (e) => parentPort.postMessage('error ' + e.message));
`;

test('a request loop (poll_oneoff, sock_recv, sock_send on a non-blocking connection) never reaches JS', async () => {
  const N = 100;
  const { wasi, store, inst, ex } = setup(true);
  const mem = (): Buffer => Buffer.from((inst.exports['memory'] as { buffer: ArrayBuffer }).buffer);
  const client = new Worker(CLIENT, { eval: true, workerData: { port: wasi.listeners[0]!.port, n: N } });
  try {
    const done = new Promise<string>((resolve, reject) => { client.once('message', resolve); client.once('error', reject); });
    const l = wasi.listeners[0]!.fd;
    assert.is(ex['setfl']!(l, 0), Errno.SUCCESS);
    assert.is(ex['accept']!(l, 4, FD), Errno.SUCCESS); // FDFLAGS_NONBLOCK, as servers accept
    const fd = mem().readUInt32LE(FD);
    const m = mem();
    m.writeUInt32LE(BUF, 1000); m.writeUInt32LE(64, 1004);
    m.writeUInt32LE(BUF, 1008); m.writeUInt32LE(0, 1012);
    m.writeBigUInt64LE(7n, SUBS); m.writeUInt8(1, SUBS + 8); m.writeUInt32LE(fd, SUBS + 16);
    const n = nativeWasiOf(inst)!;
    const before = n.hits, aheadBefore = n.aheadTaken;
    assert.is(ex['serve']!(fd, N), Errno.SUCCESS);
    assert.is(n.hits - before, BigInt(3 * N), 'every poll_oneoff, sock_recv and sock_send was served natively');
    // each poll_oneoff read the request ahead for its nbytes (instead of a FIONREAD), each sock_recv got it from there
    assert.is(n.aheadTaken - aheadBefore, BigInt(N));
    assert.is(await done, Array.from({ length: N }, (_, i) => `request ${i};`).join(''));
  } finally {
    await client.terminate();
    store.dispose();
    wasi.close();
  }
});

test('under a run deadline a poll_oneoff clock is waited for in JS, which ends it at the deadline', () => {
  const { wasi, store, inst, ex } = setup(true);
  try {
    const m = Buffer.from((inst.exports['memory'] as { buffer: ArrayBuffer }).buffer);
    m.writeBigUInt64LE(1n, SUBS); m.writeUInt8(0, SUBS + 8); m.writeUInt32LE(1, SUBS + 16);
    m.writeBigUInt64LE(30_000_000_000n, SUBS + 24); m.writeUInt16LE(0, SUBS + 40); // 30 s, relative
    wasi.setDeadline(200);
    const t0 = Date.now();
    assert.throws(() => ex['poll']!(SUBS, EVENTS, 1, RES), (e: unknown) => e instanceof Interrupted);
    assert.ok(Date.now() - t0 < 20_000, 'ended at the deadline, not after the clock');
  } finally {
    store.dispose();
    wasi.close();
  }
});

/** A peer that connects, resets the connection (RST) and says so. */
const RESETTER = `
const { parentPort, workerData } = require('node:worker_threads');
const s = require('node:net').connect(workerData.port, '127.0.0.1', () => { s.resetAndDestroy(); setTimeout(() => parentPort.postMessage('reset'), 200); });
s.on('error', () => undefined);
`;

/**
 * `pollFirst`: a poll_oneoff FD_READ on the reset connection comes first (natively, its read-ahead
 * meets the reset and keeps it for the next read), then `peek` a RECV_PEEK (JS: the error it was
 * lent), then the recvs.
 */
async function resetScenario(fast: boolean, pollFirst = false, peek = false): Promise<{ steps: unknown[]; hits: bigint | undefined }> {
  const { wasi, store, inst, ex } = setup(fast);
  const mem = (): Buffer => Buffer.from((inst.exports['memory'] as { buffer: ArrayBuffer }).buffer);
  const peer = new Worker(RESETTER, { eval: true, workerData: { port: wasi.listeners[0]!.port } });
  try {
    const l = wasi.listeners[0]!.fd;
    ex['setfl']!(l, 0);
    ex['accept']!(l, 0, FD);
    const fd = mem().readUInt32LE(FD);
    assert.is(await new Promise((resolve) => peer.once('message', resolve)), 'reset');
    const n = nativeWasiOf(inst);
    const before = n?.hits ?? 0n;
    mem().writeUInt32LE(BUF, IOV); mem().writeUInt32LE(16, IOV + 4);
    const steps: unknown[] = [];
    if (pollFirst) {
      const m = mem();
      m.writeBigUInt64LE(9n, SUBS); m.writeUInt8(1, SUBS + 8); m.writeUInt32LE(fd, SUBS + 16);
      const e = ex['poll']!(SUBS, EVENTS, 1, RES);
      // errno, nevents, then the event's userdata, error, type, nbytes, flags (HANGUP)
      steps.push([e, m.readUInt32LE(RES), Number(m.readBigUInt64LE(EVENTS)), m.readUInt16LE(EVENTS + 8), m.readUInt8(EVENTS + 10), Number(m.readBigUInt64LE(EVENTS + 16)), m.readUInt16LE(EVENTS + 24)]);
    }
    if (peek) steps.push([ex['recv']!(fd, IOV, 1, 1, RES, ROF)]);
    for (let i = 0; i < 2; i++) {
      mem().writeUInt32LE(0xeeee, RES);
      steps.push([ex['recv']!(fd, IOV, 1, 0, RES, ROF), mem().readUInt32LE(RES)]);
    }
    return { steps, hits: n === undefined ? undefined : n.hits - before };
  } finally {
    await peer.terminate();
    store.dispose();
    wasi.close();
  }
}

test('a reset connection: the first recv is CONNRESET (answered natively, not redone in JS), then end of file', async () => {
  const fast = await resetScenario(true), js = await resetScenario(false);
  assert.equal(js.steps, [[Errno.CONNRESET, 0xeeee], [Errno.SUCCESS, 0]]);
  assert.equal(fast.steps, js.steps);
  assert.is(fast.hits, 2n);
});

test('a reset met by poll_oneoff\'s read-ahead: nbytes 0 with HANGUP, then the next read (native or JS) is CONNRESET, once', async () => {
  for (const peek of [false, true]) {
    const fast = await resetScenario(true, true, peek), js = await resetScenario(false, true, peek);
    const polled = [Errno.SUCCESS, 1, 9, 0, 1, 0, 1];
    assert.equal(js.steps, peek ? [polled, [Errno.CONNRESET], [Errno.SUCCESS, 0], [Errno.SUCCESS, 0]] : [polled, [Errno.CONNRESET, 0xeeee], [Errno.SUCCESS, 0]]);
    assert.equal(fast.steps, js.steps);
  }
});

test.run();
