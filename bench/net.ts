// `npm run bench:net`: the example servers (examples/echo.c, examples/httpd.c) built natively
// (gcc -O2, glibc, the same poll() loop) and to wasm, served natively and by `kwasm-jit run
// --tcplisten`, loaded from 127.0.0.1 by a native echo client (bench/net/echo-load.c: 1, 16, 256
// connections, 64 B and 4 KiB messages) and by wrk (keep-alive, 1 and 64 connections, a small
// file and a 64 KiB one). Requests/s and p50/p99 latency, as ratios to native from the same run,
// go to bench/results/net.md. V8 + node:wasi cannot run them: node:wasi has no way to preopen a
// listening socket. A measurement, never an assertion; each load runs DURATION_MS.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNetPrograms, echoCase as loadEcho, freePort, waitReady as ready, wrkCase as loadWrk, type LoadCase as Case, type LoadResult as Result } from './lib/net-load.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(REPO, 'build', 'bench', 'net');
const DURATION_MS = Number(process.env['BENCH_NET_MS'] ?? 2000);
/** Runs per case and runner (the median by req/s is reported). */
const REPS = Math.max(1, Number(process.env['BENCH_NET_REPS'] ?? 3));

interface Runner { name: string; start: (port: number, root: string) => ChildProcess; }
/** A load run's result and the server's CPU time (user + system) per request it served, in us. */
type Measured = Result & { cpuUs: number };

/**
 * CPU time (user + system) process `pid` used so far, in us (/proc/PID/stat fields 14 and 15, in
 * USER_HZ = 100 ticks on Linux). On a shared machine requests/s move with the other load; the
 * server's own CPU per request much less (its system calls still cost more under contention).
 */
function cpuUsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

// the clients live in bench/lib/net-load.ts (bench:kernel runs the same ones inside the VM)
const build = (): void => { buildNetPrograms(REPO, OUT); };
const echoCase = (conns: number, size: number): Case => loadEcho(join(OUT, 'echo-load'), conns, size, DURATION_MS);
const wrkCase = (conns: number, path: string, label: string): Case => loadWrk(conns, path, label, DURATION_MS);

const RUNNERS: Runner[] = [
  { name: 'native', start: (port, root) => spawn(join(OUT, 'httpd'), [root, `127.0.0.1:${port}`], { stdio: 'ignore' }) },
  { name: 'kwasm-jit', start: (port, root) => spawn(process.execPath, [join(REPO, 'bin', 'kwasm-jit.js'), 'run', '--tcplisten', `127.0.0.1:${port}`, '--dir', `${root}::/www`, join(OUT, 'httpd.wasm'), '/www'], { stdio: 'ignore' }) },
];
const ECHO_RUNNERS: Runner[] = [
  { name: 'native', start: (port) => spawn(join(OUT, 'echo'), [`127.0.0.1:${port}`], { stdio: 'ignore' }) },
  { name: 'kwasm-jit', start: (port) => spawn(process.execPath, [join(REPO, 'bin', 'kwasm-jit.js'), 'run', '--tcplisten', `127.0.0.1:${port}`, join(OUT, 'echo.wasm')], { stdio: 'ignore' }) },
];

/**
 * Starts every runner's server, then runs each case REPS times, the runners in turn each time (so a
 * change in the shared machine's load hits both alike), and keeps each runner's median by req/s.
 */
async function measure(runners: Runner[], cases: Case[], root: string): Promise<Map<string, Map<string, Measured | Error>>> {
  const table = new Map<string, Map<string, Measured | Error>>();
  const servers: { r: Runner; port: number; child: ChildProcess }[] = [];
  try {
    for (const r of runners) {
      const port = await freePort();
      servers.push({ r, port, child: r.start(port, root) });
      await ready(port, servers[servers.length - 1]!.child);
    }
    for (const c of cases) {
      const runs = new Map<string, (Measured | Error)[]>();
      for (let rep = 0; rep < REPS; rep++) {
        for (const { r, port, child } of servers) {
          let res: Measured | Error;
          try {
            const cpu0 = cpuUsOf(child.pid);
            const load = c.run(port);
            res = { ...load, cpuUs: (cpuUsOf(child.pid) - cpu0) / (load.n ?? NaN) };
          } catch (e) { res = e as Error; }
          runs.set(r.name, [...(runs.get(r.name) ?? []), res]);
        }
      }
      const row = new Map<string, Measured | Error>();
      for (const [name, list] of runs) {
        const ok = list.filter((x): x is Measured => !(x instanceof Error)).sort((x, y) => x.rps - y.rps);
        // the run with the median req/s, and the median CPU per request over all runs
        const res = ok.length === list.length ? { ...ok[Math.floor(ok.length / 2)]!, cpuUs: median(ok.map((x) => x.cpuUs)) } : list.find((x) => x instanceof Error)!;
        row.set(name, res);
        process.stderr.write(`${name.padEnd(10)} ${c.name.padEnd(28)} ${res instanceof Error ? `FAILED ${res.message.split('\n')[0]}` : `${res.rps.toFixed(0)} req/s p50 ${res.p50us.toFixed(0)} us p99 ${res.p99us.toFixed(0)} us, ${res.cpuUs.toFixed(1)} us CPU/request`}\n`);
      }
      table.set(c.name, row);
    }
  } finally {
    for (const { child } of servers) child.kill('SIGKILL');
  }
  return table;
}

function report(table: Map<string, Map<string, Measured | Error>>): string {
  const lines = [
    '# Network servers: kwasm-jit vs native', '',
    `\`${process.env['BENCH_NET_MS'] !== undefined ? `BENCH_NET_MS=${DURATION_MS} ` : ''}${process.env['BENCH_NET_REPS'] !== undefined ? `BENCH_NET_REPS=${REPS} ` : ''}npm run bench:net\` (${new Date().toISOString()}; each load ${DURATION_MS} ms, ${REPS} runs per case alternating native and kwasm-jit, the median by requests/s; ${cpus().length} CPUs, load average `
    + `${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end: on a shared machine the ratios move a lot between runs). Same C sources (examples/echo.c, examples/httpd.c), `
    + 'native = gcc -O2 + glibc, kwasm-jit = clang-14 wasm32-wasi run with `--tcplisten`. Ratios are to native from the same run '
    + '(requests/s: higher is better; latency: lower is better). V8 + node:wasi: not available (node:wasi cannot preopen a listening socket). '
    + (process.env['KWASM_FAST_WASI'] === '0'
      ? 'Run with KWASM_FAST_WASI=0: every host call is served in JavaScript (one ffi-rs crossing each).'
      : 'Every per-request call is served natively by the fast host-call stub, without JavaScript: poll_oneoff, '
        + 'sock_accept, sock_recv/sock_send, fd_read/fd_write on sockets, and httpd\'s file calls (path_open, fd_fdstat_get, '
        + 'fd_filestat_get, fd_pread, fd_close; tests/runtime/fast-httpd.test.ts counts 0 calls reaching JavaScript). '
        + '`KWASM_FAST_WASI=0 npm run bench:net` measures the JS path. System calls per request, natively and here: '
        + '[net-syscalls.md](net-syscalls.md) (`bench/net/count-syscalls.sh`).'), '',
    'Server CPU per request: the server process\'s user + system time over each run divided by the requests it served, median of the runs '
      + '(less sensitive to the other load on a shared machine than requests/s; native / kwasm-jit as a ratio too, higher is better for kwasm-jit).', '',
    '| case | native req/s | kwasm-jit req/s | ratio | p50 native / kwasm-jit (us) | p99 native / kwasm-jit (us) | server CPU/request native / kwasm-jit (us) | CPU ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const chart: string[] = ['', '## Requests/s as a fraction of native', '', '```'];
  for (const [name, row] of table) {
    const n = row.get('native'), k = row.get('kwasm-jit');
    if (!n || !k || n instanceof Error || k instanceof Error) {
      const cell = (r: Measured | Error | undefined): string => (r === undefined ? 'not run' : r instanceof Error ? `failed: ${r.message.split('\n')[0].replace(/\|/g, '/').slice(0, 120)}` : r.rps.toFixed(0));
      lines.push(`| ${name} | ${cell(n)} | ${cell(k)} | - | - | - | - | - |`);
      continue;
    }
    const ratio = k.rps / n.rps;
    lines.push(`| ${name} | ${n.rps.toFixed(0)} | ${k.rps.toFixed(0)} | ${ratio.toFixed(2)}x | ${n.p50us.toFixed(0)} / ${k.p50us.toFixed(0)} | ${n.p99us.toFixed(0)} / ${k.p99us.toFixed(0)} | ${n.cpuUs.toFixed(1)} / ${k.cpuUs.toFixed(1)} | ${(n.cpuUs / k.cpuUs).toFixed(2)}x |`);
    chart.push(`${name.padEnd(28)} ${'#'.repeat(Math.max(1, Math.round(ratio * 40)))} ${ratio.toFixed(2)}`);
  }
  chart.push(`${''.padEnd(28)} ${'-'.repeat(40)}| 1.0 = native`, '```');
  return [...lines, ...chart, ''].join('\n');
}

build();
const root = mkdtempSync(join(tmpdir(), 'kwasm-bench-www-'));
writeFileSync(join(root, 'small.txt'), 'hello from a file\n');
writeFileSync(join(root, 'big.bin'), Buffer.alloc(64 * 1024, 120));
try {
  const echo = await measure(ECHO_RUNNERS, [1, 16, 256].flatMap((c) => [64, 4096].map((s) => echoCase(c, s))), root);
  const http = await measure(RUNNERS, [1, 64].flatMap((c) => [wrkCase(c, '/small.txt', 'small file'), wrkCase(c, '/big.bin', '64 KiB file')]), root);
  const md = report(new Map([...echo, ...http]));
  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO, 'bench', 'results', 'net.md'), md);
  process.stdout.write(md);
} finally {
  rmSync(root, { recursive: true, force: true });
}
