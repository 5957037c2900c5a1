// Issue #14: "the per-request path never enters JavaScript". examples/httpd.c, run in this process
// through the embedding API, serves keep-alive GETs and HEADs of files (accept, poll, recv, send,
// and per request path_open, fd_filestat_get, fd_pread, fd_close) while a FdMirror counts the calls
// that reach jit/wasi's TypeScript (every call but args/environ/clock/random/proc, which httpd
// does not make per request). The client runs in a worker (this thread is in wasm); when it is
// done it asks for a missing file, whose path_open goes to JS, and the counting mirror stops the
// server there by throwing (a throwing host call abandons the wasm stack).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as api from '../../jit/instance/api.js';
import { WASI, type FdMirror } from '../../jit/wasi/index.js';
import { nativeWasiOf } from '../../jit/instance/native-wasi.js';
import { buildExample } from '../programs/build.js';

const REQUESTS = 60;

/**
 * After one request, raises flag 0 (count from now), then on one keep-alive connection sends
 * REQUESTS requests one at a time (GET small, GET 64 KiB, HEAD), each answered completely before the next; a second
 * connection does one more; then flag 1 (stop) and a GET of a missing file.
 */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const flags = new Int32Array(workerData.flags);
const paths = ['/small.txt', '/big.bin', '/small.txt'];
function session(n, done) {
  const s = net.connect(workerData.port, '127.0.0.1');
  let i = 0, buf = Buffer.alloc(0), log = [];
  const send = () => s.write((i % 3 === 2 ? 'HEAD ' : 'GET ') + paths[i % 3] + ' HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n');
  s.on('connect', send);
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf('\\r\\n\\r\\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1');
    const len = i % 3 === 2 ? 0 : Number(/Content-Length: (\\d+)/.exec(head)[1]);
    if (buf.length < end + 4 + len) return;
    log.push(head.split('\\r\\n')[0] + ' ' + len);
    buf = buf.subarray(end + 4 + len);
    if (++i < n) send(); else { s.end(); done(log); }
  });
  s.on('error', (e) => parentPort.postMessage('error ' + e.message));
}
// a first request shows the program is serving (its start-up calls are behind it): count from then
session(1, () => { Atomics.store(flags, 0, 1); session(workerData.n, (a) => session(1, (b) => {
  Atomics.store(flags, 1, 1);
  const s = net.connect(workerData.port, '127.0.0.1', () => s.write('GET /missing HTTP/1.1\\r\\n\\r\\n'));
  s.on('error', () => undefined);
  parentPort.postMessage([...a, ...b]);
})); });
`;

class Stop extends Error {}

test('httpd: keep-alive GET/HEAD of files, accept included, never reaches JavaScript', async () => {
  const wasm = await buildExample('httpd.c');
  const www = mkdtempSync(join(tmpdir(), 'kwasm-fast-httpd-'));
  writeFileSync(join(www, 'small.txt'), 'hello from a file\n');
  writeFileSync(join(www, 'big.bin'), Buffer.alloc(64 * 1024, 120));
  const wasi = new WASI({ args: ['httpd', '/www'], env: { LISTEN_FDS: '1' }, listeners: [{ port: 0 }], preopens: { '/www': www } });
  const store = new api.Store();
  const flags = new Int32Array(new SharedArrayBuffer(8));
  let reachedJs = 0;
  const counter: FdMirror = {
    positions: false,
    pull: () => {
      if (Atomics.load(flags, 1) === 1) throw new Stop('done');
      if (Atomics.load(flags, 0) === 1) reachedJs++;
    },
    push: () => undefined,
  };
  const client = new Worker(CLIENT, { eval: true, workerData: { port: wasi.listeners[0]!.port, flags: flags.buffer, n: REQUESTS } });
  try {
    const log = new Promise<unknown>((resolve, reject) => { client.once('message', resolve); client.once('error', reject); });
    const inst = api.instantiate(api.compile(readFileSync(wasm)), wasi.getImportObject(), store);
    const uncount = wasi.addMirror(counter);
    assert.throws(() => wasi.start(inst), (e: unknown) => e instanceof Stop);
    uncount();
    const native = nativeWasiOf(inst)!;
    const lines = (await log) as string[];
    assert.equal(lines, [...Array.from({ length: REQUESTS }, (_, i) => `HTTP/1.1 200 OK ${[18, 65536, 0][i % 3]}`), 'HTTP/1.1 200 OK 18']);
    assert.is(reachedJs, 0, 'calls that reached JavaScript while serving');
    // per request at least poll, recv, path_open, fd_filestat_get, send and fd_close, natively
    assert.ok(native.hits > BigInt(6 * REQUESTS), `${native.hits} native calls`);
  } finally {
    await client.terminate();
    store.dispose();
    wasi.close();
    rmSync(www, { recursive: true, force: true });
  }
});

test.run();
