// Running the example servers and socket programs under `kwasm-jit run --tcplisten` for tests:
// a free port on 127.0.0.1, a child that is ready when the port accepts, its open fd count
// (/proc), and small clients. Every wait here is bounded in count and time.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as net from 'node:net';
import { CLI, REPO } from './helpers.js';

/** A port nobody listens on right now (bound and released: a small race, fine on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with `what` in the message, so no test can hang. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface Server {
  child: ChildProcessWithoutNullStreams;
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Open fds of the kwasm-jit process. */
  fdCount: () => number;
  /** Resolves with the exit status once the child is gone. */
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

/** `kwasm-jit run --tcplisten 127.0.0.1:PORT ...args`; resolves once a connection to PORT succeeds. */
export async function startServer(args: readonly string[], opts: { port?: number; waitReady?: boolean; lifetimeMs?: number } = {}): Promise<Server> {
  const port = opts.port ?? await freePort();
  const child = spawn(process.execPath, [CLI, 'run', '--tcplisten', `127.0.0.1:${port}`, ...args], { cwd: REPO, stdio: 'pipe' });
  let out = '', err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdin.on('error', () => { /* gone */ });
  const exited = new Promise<number | null>((resolve) => child.on('close', (s) => resolve(s)));
  // a last resort for a hung child (the VM stage's servers live longer: TCG is slow)
  const kill = setTimeout(() => child.kill('SIGKILL'), opts.lifetimeMs ?? 300_000);
  exited.finally(() => clearTimeout(kill)).catch(() => undefined);
  const server: Server = {
    child, port, stdout: () => out, stderr: () => err,
    fdCount: () => readdirSync(`/proc/${child.pid}/fd`).length,
    exited,
    stop: async () => { child.kill('SIGTERM'); await exited; },
  };
  if (opts.waitReady !== false) {
    // the port is bound before the program starts; ready = the program is running (listener is ours)
    await within(60_000, 'server start', (async () => {
      for (let i = 0; i < 600; i++) {
        if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${err}`);
        if (await canConnect(port)) return;
        await sleep(100);
      }
      throw new Error('server never accepted');
    })());
  }
  return server;
}

/**
 * The fd count once the program serves: the listener accepts in the kernel before the program
 * runs (startServer's probe connects then), so the base is taken after one served round trip and
 * the probe's close, when two reads 200 ms apart agree (bounded).
 */
export async function servingBase(s: Server, roundTrip: () => Promise<unknown>): Promise<number> {
  await roundTrip();
  let last = -1;
  for (let i = 0; i < 50; i++) {
    const n = s.fdCount();
    if (n === last) return n;
    last = n;
    await sleep(200);
  }
  return last;
}

/** A slowloris client's sending: `text` one byte every `ms`; `sent()` says how far it got. */
export function dribble(sock: net.Socket, text: string, ms: number): { done: Promise<void>; sent: () => number } {
  let sent = 0;
  const done = (async () => {
    for (; sent < text.length; sent++) {
      sock.write(text[sent]);
      await sleep(ms);
    }
  })();
  return { done, sent: () => sent };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Connects, sends `data` (then half-closes when `end`), and collects everything until the server closes. */
export function exchange(port: number, data: Buffer | string, opts: { end?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => {
      if (opts.end) s.end(data); else s.write(data);
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * Connects; resolves with the socket, what arrived so far and a bounded wait for a condition on it.
 * `allowHalfOpen`: keep our side open after the server's FIN (default: end it, as Node does).
 */
export function connect(port: number, opts: { allowHalfOpen?: boolean } = {}): Promise<{ sock: net.Socket; received: () => Buffer; waitFor: (pred: (b: Buffer) => boolean, ms?: number) => Promise<Buffer>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const waiters: (() => void)[] = [];
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: opts.allowHalfOpen ?? false });
    const closed = new Promise<void>((r) => s.on('close', () => { r(); waiters.forEach((w) => w()); }));
    s.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); waiters.forEach((w) => w()); });
    s.once('error', reject);
    s.on('error', () => { /* after connect: a reset ends it like a close (`closed`), the test checks what arrived */ });
    s.once('connect', () => resolve({
      sock: s,
      received: () => buf,
      closed,
      waitFor: (pred, ms = 30_000) => within(ms, 'waitFor', new Promise<Buffer>((res) => {
        const check = (): void => { if (pred(buf)) res(buf); };
        waiters.push(check);
        check();
      })),
    }));
  });
}
