// Guest-side: sockets in ring 0 (kmod/kwasm_net.c, issue #15). A listening TCP socket of this
// process is a socket entry of the mirrored table; a wasm echo server accepts, reads, writes,
// polls and closes on it with KernelInstance.hostCallExits unchanged (nothing left the kernel),
// against clients on the guest's loopback. Clients that must run while wasm blocks this thread
// run in a worker thread (its own event loop). Waits end at the deadline without spinning.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../kernel-loader/vm/harness.js';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { runCmd } from '../../../jit/cli/run.js';
import { Worker } from 'node:worker_threads';
import { Errno, type WASIOptions } from '../../../jit/wasi/index.js';
import { Filetype } from '../../../jit/wasi/layout.js';
import type { KernelFunction } from '../../../kernel-loader/loader.js';
import { RuntimeError } from '../../../jit/errors.js';
import { inKernel, nonBlockingFifo, wat } from './wasi.guest.js';

const test = suite('sockets in ring 0');
const fn = (x: unknown): KernelFunction => x as KernelFunction;

const SRC = `(module
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_shutdown" (func $shutdown (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $setflags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "accept") (param $l i32) (param $flags i32) (result i32)
    (call $accept (local.get $l) (local.get $flags) (i32.const 16)))
  (func (export "recv") (param $fd i32) (param $flags i32) (result i32)
    (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 4096))
    (call $recv (local.get $fd) (i32.const 0) (i32.const 1) (local.get $flags) (i32.const 20) (i32.const 28)))
  ;; echo on one connection until its end, alternating sock_recv/sock_send and fd_read/fd_write
  (func $echo (param $fd i32) (result i32) (local $r i32) (local $n i32) (local $odd i32)
    (loop $l
      (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 4096))
      (local.set $odd (i32.xor (local.get $odd) (i32.const 1)))
      (if (local.get $odd)
        (then (local.set $r (call $recv (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 20) (i32.const 28))))
        (else (local.set $r (call $read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 20)))))
      (if (local.get $r) (then (return (local.get $r))))
      (local.set $n (i32.load (i32.const 20)))
      (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
      (i32.store (i32.const 4) (local.get $n))
      (if (local.get $odd)
        (then (local.set $r (call $send (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 24))))
        (else (local.set $r (call $write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 24)))))
      (if (local.get $r) (then (return (local.get $r))))
      (br $l))
    (i32.const 0))
  ;; n connections one after another: accept (blocking), echo, close; errno + 1000 * step
  (func (export "serve") (param $l i32) (param $n i32) (result i32) (local $r i32) (local $fd i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $r (call $accept (local.get $l) (i32.const 0) (i32.const 16)))
      (if (local.get $r) (then (return (i32.add (local.get $r) (i32.const 1000)))))
      (local.set $fd (i32.load (i32.const 16)))
      (local.set $r (call $echo (local.get $fd)))
      (if (local.get $r) (then (return (i32.add (local.get $r) (i32.const 2000)))))
      (local.set $r (call $close (local.get $fd)))
      (if (local.get $r) (then (return (i32.add (local.get $r) (i32.const 3000)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (i32.const 0))
  ;; poll_oneoff: fd for reading (userdata 1) and a relative monotonic clock (userdata 2); events at 512, count at 1000
  (func (export "poll") (param $fd i32) (param $ns i64) (result i32)
    (i64.store (i32.const 64) (i64.const 1)) (i32.store8 (i32.const 72) (i32.const 1)) (i32.store (i32.const 80) (local.get $fd))
    (i64.store (i32.const 112) (i64.const 2)) (i32.store8 (i32.const 120) (i32.const 0)) (i32.store (i32.const 128) (i32.const 1))
    (i64.store (i32.const 136) (local.get $ns)) (i64.store (i32.const 144) (i64.const 0)) (i32.store16 (i32.const 152) (i32.const 0))
    (call $poll (i32.const 64) (i32.const 512) (i32.const 2) (i32.const 1000)))
  (func (export "setflags") (param i32 i32) (result i32) (call $setflags (local.get 0) (local.get 1)))
  (func (export "shutdown") (param i32 i32) (result i32) (call $shutdown (local.get 0) (local.get 1)))
  (func (export "close") (param i32) (result i32) (call $close (local.get 0)))
  (func (export "u32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "u64") (param i32) (result i64) (i64.load (local.get 0))))`;

/** A wasm module with a listener preopened as fd 3 on 127.0.0.1, as --tcplisten makes it (NONBLOCK). */
function server(bytes = wat(SRC), env: Record<string, string> = {}, reactor = true, opts: WASIOptions = {}): ReturnType<typeof inKernel> & { port: number; lfd: number } {
  const k = inKernel(bytes, { args: ['srv'], env, listeners: [{ port: 0 }], ...opts }, reactor);
  const l = k.wasi.listeners[0];
  assert.ok(l !== undefined);
  return { ...k, port: l.port, lfd: l.fd };
}

/**
 * CPU time of this thread alone (utime + stime of /proc/thread-self/stat, in USER_HZ = 100
 * ticks), in us: the waiting thread's own, whatever V8's GC threads or a worker do meanwhile
 * (process.cpuUsage counts them: 198 ms of 332 ms seen in the full VM stage, none of it ours).
 */
function threadCpuUs(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return (Number(f[11]) + Number(f[12])) * 10_000; // fields 14 and 15
}

/** Sockets among this process's fds (the worker thread's own fds are no sockets). */
const openSockets = (): number => readdirSync('/proc/self/fd').filter((f) => {
  try { return readlinkSync(`/proc/self/fd/${f}`).startsWith('socket:'); } catch { return false; }
}).length;

/** 10 connections at once in a worker thread, `reqs` echoed lines each; the count echoed. */
function concurrentClients(port: number, conns: number, reqs: number): Promise<number> {
  return clients(port, conns, reqs, true);
}

/**
 * The start of every client worker's source: node:worker_threads' data, node:net, and
 * connectRetry(port), a connected no-delay socket; connection refused is retried, since the
 * server may still be starting (bounded: 120 s).
 */
const WORKER_PRELUDE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const net = require('node:net');
  const connectRetry = async (port) => {
    for (let t = 0; ; t++) {
      const s = net.connect(port, '127.0.0.1');
      const err = await new Promise((r) => { s.once('connect', () => r(null)); s.once('error', r); });
      if (!err) { s.setNoDelay(true); return s; }
      if (err.code !== 'ECONNREFUSED' || t >= 1200) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  // what the server sends on s: until(pred) waits for it; a close first (the server ended,
  // e.g. at its deadline) rejects, so a client never waits forever
  const replies = (s) => {
    let buf = '', waiter = null;
    const settle = (ok) => { const w = waiter; waiter = null; if (ok) w.resolve(buf); else w.reject(new Error('connection closed by the server')); };
    s.on('data', (d) => { buf += d.toString('latin1'); if (waiter && waiter.pred(buf)) settle(true); });
    s.once('close', () => { if (waiter) settle(false); });
    return {
      reset: () => { buf = ''; },
      until: (pred) => new Promise((resolve, reject) => { waiter = { pred, resolve, reject }; if (pred(buf)) settle(true); else if (s.destroyed) settle(false); }),
    };
  };
`;

/** Clients in a worker thread: `conns` connections one after another, `reqs` echoed lines each. */
function clients(port: number, conns: number, reqs: number, parallel = false): Promise<number> {
  const w = new Worker(`${WORKER_PRELUDE}
    const { port, conns, reqs, parallel } = workerData;
    let echoed = 0;
    const one = async (c) => {
        const s = await connectRetry(port), io = replies(s);
        if (c === 0) parentPort.postMessage('ready');
        for (let r = 0; r < reqs; r++) {
          const msg = 'c' + c + ' r' + r + ' ' + 'x'.repeat(r % 50) + '\\n';
          io.reset();
          s.write(msg);
          const buf = await io.until((b) => b.length >= msg.length);
          if (buf !== msg) throw new Error('echo ' + JSON.stringify(buf) + ' for ' + JSON.stringify(msg));
          echoed++;
        }
        s.end();
        await new Promise((r) => s.once('close', r));
    };
    (async () => {
      if (parallel) await Promise.all(Array.from({ length: conns }, (_, c) => one(c)));
      else for (let c = 0; c < conns; c++) await one(c);
      parentPort.postMessage(echoed);
    })().catch((e) => parentPort.postMessage('error: ' + e.message));
  `, { eval: true, workerData: { port, conns, reqs, parallel } });
  const result = new Promise<number>((resolve, reject) => {
    w.on('message', (m: unknown) => {
      if (m === 'ready') return;
      void w.terminate();
      if (typeof m === 'number') resolve(m); else reject(new Error(String(m)));
    });
    w.on('error', reject);
  });
  return result;
}

test('an echo server: 1,000 requests on 20 connections accepted, read, written and closed in ring 0 (no exits, no fd left)', async () => {
  const { wasi, kw, i, port, lfd } = server();
  try {
    assert.is(fn(i.exports.setflags)(lfd, 0), Errno.SUCCESS, 'a blocking accept');
    const fds0 = openSockets(), exits = i.hostCallExits, s0 = i.device.getFds().served;
    const done = clients(port, 20, 50);
    done.catch(() => undefined); // awaited below; not an unhandled rejection if serve throws first
    i.setDeadline(60_000); // a safety net: a lost wake-up traps instead of hanging the VM
    assert.is(fn(i.exports.serve)(lfd, 20), 0);
    i.setDeadline(undefined);
    assert.is(await done, 1000, 'every request echoed');
    assert.is(i.hostCallExits, exits, 'accept, recv, send, read, write and close never left the kernel');
    assert.ok(i.device.getFds().served - s0 >= 20n * (1n + 2n * 50n + 1n + 1n), 'the kernel counted them');
    assert.is(openSockets(), fds0, 'every accepted host fd was closed in ring 0');
    kw.pull();
    assert.equal(wasi.wasiState.fds.list().map(([fd]) => fd), [0, 1, 2, 3], 'nothing left to adopt');
  } finally {
    i.close();
    wasi.close();
  }
});

test('NONBLOCK, poll_oneoff on a listener and a connection, shutdown, hang-up, close; user space adopts the accepted socket', async () => {
  const { wasi, kw, i, lfd, port } = server();
  const e = i.exports, u32 = fn(e.u32), u64 = fn(e.u64);
  const u16 = (at: number): number => (u32(at) as number) & 0xffff;
  let client: Socket | undefined;
  try {
    const exits = i.hostCallExits;
    assert.is(fn(e.accept)(lfd, 0), Errno.AGAIN, 'nobody waits, NONBLOCK listener (as --tcplisten preopens it)');
    assert.is(fn(e.accept)(lfd, 1), Errno.INVAL, 'flags other than NONBLOCK');
    assert.is(fn(e.recv)(1, 0), Errno.NOTSOCK, 'stdout is no socket');
    assert.is(fn(e.recv)(lfd, 4), Errno.INVAL, 'unknown riflags');

    // nobody connects: the clock fires, and the wait slept (a spinning wait would burn its whole time in CPU)
    const c0 = threadCpuUs(), t0 = process.hrtime.bigint();
    assert.is(fn(e.poll)(lfd, 300_000_000n), Errno.SUCCESS);
    const wallUs = Number(process.hrtime.bigint() - t0) / 1000, cpu = threadCpuUs() - c0;
    assert.is(u32(1000), 1);
    assert.is(u64(512), 2n, 'the clock');
    assert.ok(wallUs >= 290_000, `slept ${wallUs} us`);
    assert.ok(cpu < wallUs / 2, `${cpu} us CPU in ${wallUs} us: no spinning`);

    // a client connects: the listener polls readable, a NONBLOCK accept gets it at the lowest free fd
    client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    assert.is(fn(e.poll)(lfd, 10_000_000_000n), Errno.SUCCESS);
    assert.is(u32(1000), 1);
    assert.equal([u64(512), u16(520), ((u32(520) as number) >>> 16) & 0xff], [1n, Errno.SUCCESS, 1], 'an fd_read event of the listener');
    assert.is(fn(e.accept)(lfd, 4), Errno.SUCCESS);
    const fd = u32(16) as number;
    assert.is(fd, 4);
    assert.is(fn(e.recv)(fd, 0), Errno.AGAIN, 'NONBLOCK connection without data');
    assert.is(i.hostCallExits, exits, 'all of the above in ring 0');

    // user space adopts it at its next pull: a socket entry with the kernel's flags and a live host fd
    kw.pull();
    const adopted = wasi.wasiState.fds.get(fd);
    assert.equal([adopted.kind, adopted.filetype, adopted.flags, adopted.ownsHostFd], ['socket', Filetype.SOCKET_STREAM, 4, true]);
    assert.ok(fstatSync(adopted.hostFd).isSocket());

    // data: poll says how much, a peek leaves it, a recv takes it
    client.write('hello');
    assert.is(fn(e.poll)(fd, 10_000_000_000n), Errno.SUCCESS);
    assert.is(u32(1000), 1);
    assert.equal([u64(512), u64(528)], [1n, 5n], 'readable, 5 bytes waiting');
    assert.is(fn(e.recv)(fd, 1), Errno.SUCCESS);
    assert.is(u32(20), 5);
    assert.is(fn(e.recv)(fd, 0), Errno.SUCCESS);
    assert.is(Buffer.from(i.readMemory(1024, u32(20) as number)).toString(), 'hello');

    // shutdown: bad how, then our write side; the client sees the end, closes, and we see a hang-up
    assert.is(fn(e.shutdown)(fd, 0), Errno.INVAL);
    assert.is(fn(e.shutdown)(fd, 4), Errno.INVAL);
    const ended = once(client, 'end');
    assert.is(fn(e.shutdown)(fd, 2), Errno.SUCCESS);
    await ended;
    client.end();
    await once(client, 'close');
    assert.is(fn(e.poll)(fd, 10_000_000_000n), Errno.SUCCESS);
    assert.equal([u32(1000), u64(512), u16(536)], [1, 1n, 1], 'readable with HANGUP');
    assert.is(fn(e.recv)(fd, 0), Errno.SUCCESS);
    assert.is(u32(20), 0, 'the end of the stream');

    // close in ring 0 closes the host fd at once; the pull then forgets the entry without closing it again
    const hostFd = adopted.hostFd;
    assert.is(fn(e.close)(fd), Errno.SUCCESS);
    assert.throws(() => fstatSync(hostFd), /EBADF/);
    assert.is(i.hostCallExits, exits, 'still nothing left the kernel');
    kw.pull();
    assert.not.ok(wasi.wasiState.fds.has(fd));

    // blocking waits end at the deadline: poll, then accept (listener back to blocking)
    for (const [what, call] of [['poll', () => fn(e.poll)(lfd, 60_000_000_000n)], ['accept', () => fn(e.accept)(lfd, 0)]] as const) {
      if (what === 'accept') {
        assert.is(fn(e.setflags)(lfd, 0), Errno.SUCCESS);
        kw.pull();
        assert.is(wasi.wasiState.fds.get(lfd).flags, 0, 'fd_fdstat_set_flags in ring 0 reached user space');
      }
      i.setDeadline(300);
      const t = Date.now();
      assert.throws(call, (x: unknown) => x instanceof RuntimeError && /interrupted/.test(x.message), what);
      assert.ok(Date.now() - t < 30_000, `${what} stopped by the deadline`);
      i.setDeadline(undefined);
    }
    kw.finish();
  } finally {
    client?.destroy();
    i.close();
    wasi.close();
  }
});

test('poll_oneoff on a pipe (stdin from a FIFO) waits in ring 0: a clock, bytes waiting, a writer waking the wait', async () => {
  const fifo = nonBlockingFifo();
  const { wasi, i } = server(undefined, {}, true, { stdin: fifo });
  const e = i.exports, u32 = fn(e.u32), u64 = fn(e.u64);
  try {
    const exits = i.hostCallExits;
    const t0 = Date.now();
    assert.is(fn(e.poll)(0, 200_000_000n), Errno.SUCCESS);
    assert.equal([u32(1000), u64(512)], [1, 2n], 'nothing to read: the clock');
    assert.ok(Date.now() - t0 >= 190, 'the wait slept');
    writeSync(fifo, 'hello');
    assert.is(fn(e.poll)(0, 10_000_000_000n), Errno.SUCCESS);
    assert.equal([u32(1000), u64(512), u64(528)], [1, 1n, 5n], 'readable, 5 bytes waiting (FIONREAD\'s answer)');
    readSync(fifo, Buffer.alloc(5));
    // a writer in another thread wakes the blocked wait through the pipe's wait queue
    const w = new Worker('const { workerData: { fd } } = require("node:worker_threads"); setTimeout(() => require("node:fs").writeSync(fd, "wake"), 300);', { eval: true, workerData: { fd: fifo } });
    const t1 = Date.now();
    i.setDeadline(60_000); // a lost wake-up traps instead of hanging the VM
    assert.is(fn(e.poll)(0, 50_000_000_000n), Errno.SUCCESS);
    i.setDeadline(undefined);
    assert.equal([u32(1000), u64(512), u64(528)], [1, 1n, 4n], 'woken by the write');
    assert.ok(Date.now() - t1 < 40_000, `${Date.now() - t1} ms: woken, not the 50 s clock`);
    await w.terminate();
    assert.is(i.hostCallExits, exits, 'every poll_oneoff on the pipe answered in ring 0');
  } finally {
    i.close();
    wasi.close();
    closeSync(fifo);
  }
});

test('examples/echo.wasm with --kernel: 1,000 requests from 10 concurrent clients cost no more host-call exits than none', async () => {
  const echo = readFileSync(join(repoRoot(), 'examples', 'echo.wasm'));
  /** Runs the server until `ms` (its only way to end), with `clients` meanwhile; its host-call exits. */
  const run = async (ms: number, load: (port: number) => Promise<number>): Promise<{ exits: number; echoed: number }> => {
    const { wasi, i, port } = server(echo, { LISTEN_FDS: '1' }, false);
    try {
      const done = load(port);
      done.catch(() => undefined);
      i.setDeadline(ms);
      assert.throws(() => wasi.start({ exports: i.exports }), (x: unknown) => x instanceof RuntimeError && /interrupted/.test(x.message));
      return { exits: i.hostCallExits, echoed: await done };
    } finally {
      i.close();
      wasi.close();
    }
  };
  const idle = await run(2000, async () => 0);
  const busy = await run(45_000, (port) => concurrentClients(port, 10, 100));
  assert.is(busy.echoed, 1000);
  assert.is(busy.exits, idle.exits, `${busy.exits} exits serving 1,000 requests, ${idle.exits} serving none`);
});

/**
 * HTTP clients in a worker thread: `conns` at once, `reqs` GETs each, one at a time, cycling
 * through `files` ([path, body]); keep-alive on one connection each, or (`keepAlive` false) a
 * new connection with `Connection: close` per request, read to the server's close. The count
 * answered with the right body.
 */
function httpClients(port: number, conns: number, reqs: number, files: ReadonlyArray<readonly [string, string]>, keepAlive: boolean): Promise<number> {
  const w = new Worker(`${WORKER_PRELUDE}
    const { port, conns, reqs, files, keepAlive } = workerData;
    let ok = 0;
    // a whole response: its head, then Content-Length bytes
    const whole = (b) => { const h = b.indexOf('\\r\\n\\r\\n'); return h >= 0 && b.length >= h + 4 + Number(/Content-Length: (\\d+)/i.exec(b.slice(0, h))?.[1]); };
    const check = (buf, body) => {
      if (!buf.startsWith('HTTP/1.1 200 OK') || !buf.endsWith('\\r\\n\\r\\n' + body)) throw new Error('response ' + JSON.stringify(buf.slice(0, 200)));
      ok++;
    };
    const one = async (c) => {
      let s = keepAlive ? await connectRetry(port) : null, io = s && replies(s);
      for (let r = 0; r < reqs; r++) {
        const [path, body] = files[(c + r) % files.length];
        if (!keepAlive) {
          s = await connectRetry(port);
          io = replies(s);
          const closed = new Promise((res) => s.once('close', res));
          s.write('GET ' + path + ' HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n');
          const buf = await io.until(whole);
          await closed;
          check(buf, body);
          continue;
        }
        io.reset();
        s.write('GET ' + path + ' HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n');
        check(await io.until(whole), body);
      }
      if (keepAlive) {
        s.end();
        await new Promise((r) => s.once('close', r));
      }
    };
    Promise.all(Array.from({ length: conns }, (_, c) => one(c))).then(() => parentPort.postMessage(ok), (e) => parentPort.postMessage('error: ' + e.message));
  `, { eval: true, workerData: { port, conns, reqs, files, keepAlive } });
  return new Promise<number>((resolve, reject) => {
    w.on('message', (m: unknown) => {
      void w.terminate();
      if (typeof m === 'number') resolve(m); else reject(new Error(String(m)));
    });
    w.on('error', reject);
  });
}

test('examples/httpd.wasm with --kernel: 1,000 requests for several files from concurrent keep-alive and one-shot clients; the host-call exits do not grow with the requests', async () => {
  const httpd = readFileSync(join(repoRoot(), 'examples', 'httpd.wasm'));
  // several files: small ones, one index, one sent in several 16 KiB preads, one in a subdirectory
  const www = mkdtempSync('/tmp/kwasm-www-');
  mkdirSync(join(www, 'sub'));
  const files: Array<[string, string]> = [['/hello.txt', 'Hello from httpd!\n'], ['/', '<html>index</html>\n'],
    ['/big.bin', 'x'.repeat(40_000)], ['/sub/page.txt', 'a page in a subdirectory\n']];
  for (const [path, body] of files) writeFileSync(join(www, path === '/' ? 'index.html' : path), body, 'latin1');
  /** Runs the server until `ms`, with `load` meanwhile; its host-call exits and what the kernel served. */
  const run = async (ms: number, load: (port: number) => Promise<number>): Promise<{ exits: number; served: bigint; answered: number }> => {
    const { wasi, i, port } = server(httpd, { LISTEN_FDS: '1' }, false, { args: ['httpd', '/www'], preopens: { '/www': www } });
    try {
      const done = load(port);
      done.catch(() => undefined);
      const s0 = i.device.getFds().served;
      i.setDeadline(ms);
      assert.throws(() => wasi.start({ exports: i.exports }), (x: unknown) => x instanceof RuntimeError && /interrupted/.test(x.message));
      return { exits: i.hostCallExits, served: i.device.getFds().served - s0, answered: await done };
    } finally {
      i.close();
      wasi.close();
    }
  };
  const mixed = async (port: number, reqs: number): Promise<number> => {
    const [a, b] = await Promise.all([httpClients(port, 6, reqs, files, true), httpClients(port, 4, reqs, files, false)]);
    return a + b;
  };
  // a few requests (each file, both kinds of client), then 1,000: the server runs to its deadline
  // (its only end), long enough for them on a loaded TCG host
  const few = await run(40_000, (port) => mixed(port, 1));
  assert.is(few.answered, 10);
  const busy = await run(150_000, (port) => mixed(port, 100));
  assert.is(busy.answered, 1000);
  console.log(`  (httpd --kernel: ${few.exits} host-call exits serving 10 requests, ${busy.exits} serving 1,000; ${busy.served} calls served in ring 0)`);
  // accept, recv, send, poll, path_open, fd_filestat_get, fd_pread and close all stay in ring 0
  assert.is(busy.exits, few.exits, `${busy.exits} exits serving 1,000 requests, ${few.exits} serving 10`);
  assert.ok(busy.served >= 1000n * 6n, 'open, fstat, read, close, receive and send of every request served in ring 0');
});

/** A port nobody listens on now (bound and released). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const ECHO = (): string => join(repoRoot(), 'examples', 'echo.wasm');

test('run --tcplisten with and without --kernel: examples/echo.wasm serves 100 requests, then its --timeout ends it (134)', async () => {
  for (const mode of [[], ['--kernel']]) {
    const port = await freePort();
    const done = concurrentClients(port, 4, 25);
    done.catch(() => undefined);
    const status = await runCmd([...mode, '--timeout', '15000', '--tcplisten', `127.0.0.1:${port}`, ECHO()]);
    assert.is(status, 134, `${mode.join(' ')}: interrupted by --timeout`);
    assert.is(await done, 100, `${mode.join(' ')}: every request echoed`);
  }
});

test('SIGKILL ends a --kernel server blocked in poll_oneoff at once (the harness then checks rmmod and dmesg)', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'kwasm-jit.js'), 'run', '--kernel', '--tcplisten', `127.0.0.1:${port}`, ECHO()], { stdio: 'ignore' });
  try {
    assert.is(await clients(port, 1, 5), 5, 'serving (node starts slowly under TCG: the clients retry)');
    const t = Date.now();
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    const [, signal] = await exited;
    assert.is(signal, 'SIGKILL');
    assert.ok(Date.now() - t < 30_000, `${Date.now() - t} ms from SIGKILL to exit`);
  } finally {
    child.kill('SIGKILL');
  }
});

export default test;
