// The example servers (examples/echo.c, examples/httpd.c: one poll() loop each) under
// `kwasm-jit run --tcplisten`, against bad clients and load (issue #14 item 5): each case checks the
// server still serves others and that its fd count comes back to where it started. Every loop is
// bounded in count and time; all traffic is on 127.0.0.1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExample } from '../programs/build.js';
import { connect, dribble, exchange, servingBase, sleep, startServer, within, type Server } from './net-helpers.js';

const echoWasm = await buildExample('echo.c');
const httpdWasm = await buildExample('httpd.c');
const www = mkdtempSync(join(tmpdir(), 'kwasm-www-'));
const BIG = randomBytes(64 * 1024);
writeFileSync(join(www, 'index.html'), '<p>hi</p>\n');
writeFileSync(join(www, 'a.txt'), 'text file\n');
writeFileSync(join(www, 'big.bin'), BIG);

/** Waits (bounded) until the server's fd count is back to `base`. */
async function fdsBackTo(s: Server, base: number): Promise<void> {
  for (let i = 0; i < 300 && s.fdCount() !== base; i++) await sleep(100);
  assert.is(s.fdCount(), base, 'fd count back to where it started');
}

async function echoOnce(port: number, msg: string): Promise<void> {
  const got = await within(30_000, 'echo', exchange(port, msg, { end: true }));
  assert.is(got.toString(), msg);
}

let echo: Server;
let echoBase = 0;

test.before(async () => {
  echo = await startServer([echoWasm]);
  echoBase = await servingBase(echo, () => echoOnce(echo.port, 'ready'));
});

test('echo: 1,000 concurrent connections each get their own bytes back', async () => {
  const conns = await within(120_000, 'connect 1000', Promise.all(Array.from({ length: 1000 }, () => connect(echo.port))));
  conns.forEach((c, i) => c.sock.write(`message ${i};`));
  await within(120_000, 'echo 1000', Promise.all(conns.map((c, i) => c.waitFor((b) => b.toString() === `message ${i};`, 120_000))));
  assert.ok(echo.fdCount() >= echoBase + 1000, 'the server held them all at once');
  conns.forEach((c) => c.sock.end());
  await Promise.all(conns.map((c) => c.closed));
  await fdsBackTo(echo, echoBase);
});

test('echo: 10,000 sequential connections, fd count back where it started', async () => {
  const t0 = Date.now();
  for (let i = 0; i < 10_000; i++) await echoOnce(echo.port, `n${i}`);
  console.log(`  (10,000 sequential echo connections in ${Date.now() - t0} ms)`);
  await fdsBackTo(echo, echoBase);
});

test('echo: half-close gets the whole echo then EOF; 10 MB round trip intact', async () => {
  await echoOnce(echo.port, 'half-closed after this');
  const big = randomBytes(10 * 1024 * 1024);
  const got = await within(120_000, '10 MB echo', exchange(echo.port, big, { end: true }));
  assert.ok(got.equals(big), `10 MB echo: got ${got.length} bytes`);
  await fdsBackTo(echo, echoBase);
});

test('echo: clients that reset (RST) or vanish mid-stream do not disturb the others', async () => {
  for (let i = 0; i < 20; i++) {
    const c = await connect(echo.port);
    c.sock.write(randomBytes(100_000));
    if (i % 2) c.sock.resetAndDestroy(); else c.sock.destroy();
  }
  await echoOnce(echo.port, 'still here');
  await fdsBackTo(echo, echoBase);
});

test('echo: --timeout-free server is still alive after all that', async () => {
  assert.is(echo.child.exitCode, null, echo.stderr());
  await echo.stop();
});

// ---- HTTP ----------------------------------------------------------------

let http: Server;
let httpBase = 0;

async function request(raw: string | Buffer): Promise<string> {
  return (await within(30_000, 'http', exchange(http.port, raw, { end: true }))).toString('latin1');
}

test('httpd: start with --dir', async () => {
  http = await startServer(['--dir', `${www}::/www`, httpdWasm, '/www']);
  httpBase = await servingBase(http, () => request('GET /index.html HTTP/1.0\r\n\r\n'));
});

test('httpd: GET and HEAD with Content-Length and Content-Type, 404, 405, 400', async () => {
  let r = await request('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(r, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(r, /\r\nContent-Length: 10\r\n/);
  assert.match(r, /\r\nContent-Type: text\/html; charset=utf-8\r\n/);
  assert.ok(r.endsWith('\r\n\r\n<p>hi</p>\n'));
  r = await request('HEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(r, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 10\r\n[^]*Content-Type: text\/plain; charset=utf-8\r\n/);
  assert.ok(r.endsWith('\r\n\r\n'), 'HEAD has no body');
  r = await request('GET /big.bin HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.match(r, /Content-Length: 65536\r\nContent-Type: application\/octet-stream\r\n/);
  assert.ok(Buffer.from(r.slice(r.indexOf('\r\n\r\n') + 4), 'latin1').equals(BIG), '64 KiB body intact');
  assert.match(await request('GET /missing HTTP/1.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 404 Not Found\r\n/);
  assert.match(await request('GET /../etc/passwd HTTP/1.1\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 404 /);
  r = await request('DELETE /a.txt HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.match(r, /^HTTP\/1\.1 405 Method Not Allowed\r\n[^]*Allow: GET, HEAD\r\n/);
  for (const bad of ['garbage\r\n\r\n', 'GET nopath HTTP/1.1\r\n\r\n', 'GET / HTTP/9\r\n\r\n', 'GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n']) {
    assert.match(await request(bad), /^HTTP\/1\.1 400 Bad Request\r\n/, JSON.stringify(bad));
  }
  await fdsBackTo(http, httpBase);
});

test('httpd: keep-alive and pipelining on one connection; a 10 MB body on a POST is skipped (405) and the connection goes on', async () => {
  const c = await connect(http.port);
  c.sock.write('GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n');
  await c.waitFor((b) => b.toString().split('text file\n').length === 3);
  const body = randomBytes(10 * 1024 * 1024);
  c.sock.write(`POST /a.txt HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n`);
  c.sock.write(body);
  c.sock.write('GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
  await within(120_000, 'closed', c.closed);
  const all = c.received().toString('latin1');
  assert.is(all.match(/HTTP\/1\.1 200 OK/g)?.length, 3, all.slice(0, 500));
  assert.is(all.match(/HTTP\/1\.1 405 /g)?.length, 1);
  assert.ok(all.endsWith('<p>hi</p>\n'));
  await fdsBackTo(http, httpBase);
});

test('httpd: a slowloris client (headers byte by byte) does not hold up others; a head over 8 KiB is 400', async () => {
  const slow = await connect(http.port);
  const req = 'GET /a.txt HTTP/1.1\r\nHost: slow\r\nX-Pad: 0123456789\r\n\r\n';
  const d = dribble(slow.sock, req, 30);
  await sleep(200);
  const fast = await request('GET /a.txt HTTP/1.1\r\nConnection: close\r\n\r\n');
  assert.match(fast, /^HTTP\/1\.1 200 OK/);
  assert.ok(d.sent() < req.length, 'served while the slow client was still sending');
  await d.done;
  await slow.waitFor((b) => b.toString().endsWith('text file\n'));
  slow.sock.end();
  // the server answers 400 and closes while we may still be sending: the close can be a reset
  const big = await connect(http.port);
  big.sock.write(`GET / HTTP/1.1\r\nX-Big: ${'y'.repeat(9000)}\r\n\r\n`);
  await big.waitFor((b) => /^HTTP\/1\.1 400 /.test(b.toString()));
  await within(30_000, 'closed', big.closed);
  await fdsBackTo(http, httpBase);
});

test('httpd: 10,000 sequential connections, each a GET of a file (accepted, opened, read and closed natively), fd count back where it started', async () => {
  const t0 = Date.now();
  for (let i = 0; i < 10_000; i++) {
    const r = await request(`GET /${i % 2 ? 'a.txt' : 'index.html'} HTTP/1.1\r\nConnection: close\r\n\r\n`);
    if (!r.endsWith(i % 2 ? 'text file\n' : '<p>hi</p>\n')) assert.unreachable(`request ${i}: ${r.slice(0, 200)}`);
  }
  console.log(`  (10,000 sequential HTTP connections in ${Date.now() - t0} ms)`);
  await fdsBackTo(http, httpBase);
});

test('httpd: clients leaving mid-request or resetting do not disturb it; 200 concurrent keep-alive clients', async () => {
  for (let i = 0; i < 20; i++) {
    const c = await connect(http.port);
    c.sock.write('GET /big.bin HTTP/1.1\r\nHo');
    if (i % 2) c.sock.resetAndDestroy(); else c.sock.destroy();
    const d = await connect(http.port); // asks for 64 KiB and leaves before reading it
    d.sock.write('GET /big.bin HTTP/1.1\r\n\r\n');
    d.sock.resetAndDestroy();
  }
  const conns = await within(60_000, 'connect 200', Promise.all(Array.from({ length: 200 }, () => connect(http.port))));
  for (let round = 0; round < 2; round++) {
    conns.forEach((c) => c.sock.write('GET /a.txt HTTP/1.1\r\n\r\n'));
    await within(60_000, 'responses', Promise.all(conns.map((c) => c.waitFor((b) => b.toString().split('text file\n').length === round + 2, 60_000))));
  }
  conns.forEach((c) => c.sock.end());
  await Promise.all(conns.map((c) => c.closed));
  await fdsBackTo(http, httpBase);
  assert.is(http.child.exitCode, null, http.stderr());
  await http.stop();
});

test.after(() => rmSync(www, { recursive: true, force: true }));
test.run();
