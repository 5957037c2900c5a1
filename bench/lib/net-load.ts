// The network load clients and example servers shared by `npm run bench:net` (bench/net.ts, on
// the host) and `npm run bench:kernel` (bench/kernel-guest.ts, inside the VM): one echo client
// (bench/net/echo-load.c), wrk for HTTP, and the example servers built natively and to wasm.
// One place, so the kernel rows and the user-space rows measure with the same clients.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';

/** Requests (round trips) per second and latency percentiles of one load run. */
export interface LoadResult { rps: number; p50us: number; p99us: number; /** requests completed */ n?: number; }
export interface LoadCase { name: string; run: (port: number) => LoadResult; }

/** The example servers and the echo client, built once on the host (the VM's root is read-only). */
export interface NetPrograms { echo: string; httpd: string; echoWasm: string; httpdWasm: string; echoLoad: string; }

const WASM_FLAGS = ['--target=wasm32-wasi', '-O2', '-fuse-ld=lld', '-Wl,-z,stack-size=1048576'];

/** examples/echo.c and httpd.c natively (gcc -O2) and to wasm (clang-14), and the echo client, into `out`. */
export function buildNetPrograms(repo: string, out: string): NetPrograms {
  mkdirSync(out, { recursive: true });
  for (const s of ['echo', 'httpd']) {
    execFileSync('gcc', ['-O2', '-o', join(out, s), join(repo, 'examples', `${s}.c`)]);
    execFileSync('clang-14', [...WASM_FLAGS, '-o', join(out, `${s}.wasm`), join(repo, 'examples', `${s}.c`)]);
  }
  execFileSync('gcc', ['-O2', '-o', join(out, 'echo-load'), join(repo, 'bench', 'net', 'echo-load.c')]);
  return { echo: join(out, 'echo'), httpd: join(out, 'httpd'), echoWasm: join(out, 'echo.wasm'), httpdWasm: join(out, 'httpd.wasm'), echoLoad: join(out, 'echo-load') };
}

/** A port nobody listens on now (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Waits until `port` accepts a connection (bounded: `tries` x 100 ms); throws if the server exited. */
export async function waitReady(port: number, child: ChildProcess, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready in ${tries / 10} s`);
}

/** echo-load: `conns` connections, one `size`-byte message outstanding on each, for `ms`. */
export function echoCase(echoLoad: string, conns: number, size: number, ms: number): LoadCase {
  return {
    name: `echo ${conns} conn, ${size} B`,
    run: (port) => JSON.parse(execFileSync(echoLoad, [String(port), String(conns), String(size), String(ms)]).toString()) as LoadResult,
  };
}

/** wrk's "Requests/sec" and its --latency percentiles (us/ms/s units), keep-alive, for `ms` (whole seconds). */
export function wrkCase(conns: number, path: string, label: string, ms: number): LoadCase {
  const us = (v: string, unit: string): number => Number(v) * (unit === 's' ? 1e6 : unit === 'ms' ? 1e3 : 1);
  return {
    name: `http ${conns} conn, ${label}`,
    run: (port) => {
      const out = execFileSync('wrk', ['-t1', `-c${conns}`, `-d${Math.max(1, Math.round(ms / 1000))}s`, '--latency', `http://127.0.0.1:${port}${path}`]).toString();
      const num = (re: RegExp): RegExpExecArray => { const m = re.exec(out); if (!m) throw new Error(`wrk output: ${out}`); return m; };
      const p50 = num(/50%\s+([\d.]+)(us|ms|s)/), p99 = num(/99%\s+([\d.]+)(us|ms|s)/);
      if (/Non-2xx/.test(out)) throw new Error(`wrk saw errors: ${out}`);
      return { rps: Number(num(/Requests\/sec:\s+([\d.]+)/)[1]), p50us: us(p50[1], p50[2]), p99us: us(p99[1], p99[2]), n: Number(num(/(\d+) requests in/)[1]) };
    },
  };
}
