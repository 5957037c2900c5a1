// Networking in user space (issue #14, items 1-3): `run --tcplisten`, the preview 1 socket calls
// with their errnos, and poll_oneoff as a real event loop over sockets, through wasi-libc's poll()
// and select() (tests/programs/c/sock_api.c, this file plays its client). Plus the CLI's errors:
// a port in use (exit 1), a bad address (usage, exit 2), and --timeout while blocked in poll.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { buildProgram } from '../programs/build.js';
import { Errno } from '../../jit/wasi/errno.js';
import { Filetype, Fdflags } from '../../jit/wasi/layout.js';
import { cli } from './helpers.js';
import { connect, freePort, sleep, startServer, within } from './net-helpers.js';

const SOCK = Filetype.SOCKET_STREAM;

test('sock_api.c: accept, recv (PEEK, WAITALL), send, shutdown, fd_* on sockets, poll()/select()/poll_oneoff', async () => {
  const prog = await buildProgram('sock_api.c');
  const srv = await startServer([prog], { waitReady: false });
  try {
    await within(60_000, 'ready line', (async () => { while (!srv.stdout().includes('ready\n')) await sleep(50); })());
    const c = await connect(srv.port, { allowHalfOpen: true }); // we answer the server's FIN with "last"
    c.sock.write('ping');
    await c.waitFor((b) => b.toString() === 'go\n');
    c.sock.write('abcd');
    await sleep(100);
    c.sock.write('efgh');
    await c.waitFor((b) => b.toString() === 'go\nfdw');
    c.sock.write('fdr');
    await within(30_000, 'EOF from the server', new Promise<void>((r) => c.sock.once('end', () => r())));
    c.sock.end('last');
    const status = await within(30_000, 'program end', srv.exited);
    const lines = srv.stdout().trimEnd().split('\n');
    assert.is(status, 0, srv.stderr());
    assert.equal(lines, [
      'LISTEN_FDS=1',
      `listener fdstat errno=0 filetype=${SOCK} flags=${Fdflags.NONBLOCK}`,
      `accept-nonblock-empty errno=${Errno.AGAIN}`,
      `accept-bad-flags errno=${Errno.INVAL}`,
      `recv-on-closed errno=${Errno.BADF}`,
      'ready',
      'poll-listener 1 revents=1',
      'accept errno=0',
      `conn fdstat errno=0 filetype=${SOCK} flags=0`,
      `conn filestat errno=0 filetype=${SOCK}`,
      'ping-event errno=0 n=1 userdata=1 type=1 nbytes=4 hangup=0',
      'peek errno=0 n=4 data=ping',
      'recv errno=0 n=4 data=ping',
      `nonblock fdstat flags=${Fdflags.NONBLOCK}`,
      `recv-nonblock-empty errno=${Errno.AGAIN}`,
      `read-nonblock-empty r=-1 errno=${Errno.AGAIN}`,
      'send errno=0 n=3',
      'waitall errno=0 n=8 data=abcdefgh',
      'fd_write r=3',
      'fd_read r=3 data=fdr',
      'select-idle 0',
      'select-writable 1 isset=1',
      `shutdown-0 errno=${Errno.INVAL}`,
      `shutdown-4 errno=${Errno.INVAL}`,
      'shutdown-wr errno=0',
      'recv-last errno=0 n=4 data=last',
      'eof-event errno=0 n=1 userdata=1 type=1 nbytes=0 hangup=1',
      'recv-eof errno=0 n=0',
      `shutdown-rdwr errno=${Errno.NOTCONN}`, // both directions are already closed
      'close errno=0',
      `close-again errno=${Errno.BADF}`,
      'clock-abs errno=0 n=1 userdata=8 type=0',
    ]);
  } finally {
    await srv.stop();
  }
});

test('the embedding API: WASI listeners (a port, port 0, an existing socket) are fds 3.. before the preopens; close() closes ours', async () => {
  const { WASI } = await import('../../jit/index.js');
  const port = await freePort();
  const theirs = net.createServer();
  await new Promise<void>((r) => theirs.listen(0, '127.0.0.1', () => r()));
  const theirFd = (theirs as unknown as { _handle: { fd: number } })._handle.fd;
  const wasi = new WASI({ listeners: [{ port }, { port: 0, host: 'localhost' }, { fd: theirFd }], preopens: { '/tmp': tmpdir() } });
  try {
    assert.equal(wasi.listeners.map((l) => l.fd), [3, 4, 5]);
    assert.is(wasi.listeners[0].port, port);
    assert.ok(wasi.listeners[1].port > 0, 'port 0 picked a free one');
    assert.is(wasi.listeners[2].port, (theirs.address() as net.AddressInfo).port);
    assert.ok(wasi.wasiState.fds.has(6) && wasi.wasiState.fds.get(6).kind === 'dir', 'the preopen comes after the listeners');
    const c = await connect(port);
    c.sock.destroy();
  } finally {
    wasi.close();
  }
  const refused = await new Promise<boolean>((r) => net.connect(port, '127.0.0.1').on('error', () => r(true)).on('connect', () => r(false)));
  assert.ok(refused, 'our listener is closed');
  assert.ok(theirs.listening, 'the embedder\'s socket is not ours to close');
  theirs.close();
  assert.throws(() => new WASI({ listeners: [{ port: 1, host: '10.255.255.1' }] }), /cannot listen on 10\.255\.255\.1:1/);
});

test('--tcplisten with a bad address is a usage error (exit 2); a port in use is a clear error (exit 1)', async () => {
  for (const bad of ['nonsense', '127.0.0.1', '127.0.0.1:99999', '300.1.1.1:80', ':80', 'example.com:80', '[::1]:80']) {
    const r = await cli(['run', '--tcplisten', bad, 'examples/hello.wasm']);
    assert.is(r.status, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--tcplisten/);
  }
  const port = await freePort();
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(port, '127.0.0.1', () => r()));
  try {
    const r = await cli(['run', '--tcplisten', `127.0.0.1:${port}`, 'examples/echo.wasm']);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`--tcplisten: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  } finally {
    holder.close();
  }
});

test('--timeout interrupts a server idle in poll_oneoff (poll() on its listener)', async () => {
  const srv = await startServer(['--timeout', '1500', 'examples/echo.wasm']);
  const status = await within(60_000, 'timeout', srv.exited);
  assert.is(status, 134, srv.stderr());
  assert.match(srv.stderr(), /wasm trap: interrupted \(--timeout 1500 ms\)/);
});

test('a program that never accepts: clients queue in the backlog, nothing crashes, --timeout ends it', async () => {
  // sleeps 60 s in poll_oneoff without looking at its listener
  const prog = await buildProgram('sleep_long.c');
  const srv = await startServer(['--timeout', '4000', prog]);
  const socks: net.Socket[] = [];
  let connected = 0;
  for (let i = 0; i < 300; i++) {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('connect', () => { connected++; });
    s.on('error', () => { /* refused or reset once the backlog is full / the program ended */ });
    socks.push(s);
  }
  const status = await within(60_000, 'timeout', srv.exited);
  socks.forEach((s) => s.destroy());
  assert.is(status, 134, srv.stderr());
  assert.match(srv.stderr(), /wasm trap: interrupted/);
  assert.ok(connected > 0, 'the kernel completed connections into the backlog');
});

test.run();
