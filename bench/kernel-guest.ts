// Guest side of `npm run bench:kernel` (bench/kernel.ts boots the VM with this script): runs each
// syscall program natively, with kwasm-jit in user mode and with `kwasm-jit run --kernel`,
// interleaved (program by program, runner by runner, rep by rep), and prints one
// `@@BENCH-KERNEL {json}` line per run on the console, which the host collects. Then the network
// servers (examples/echo.c, httpd.c) under each runner, loaded by bench:net's own clients
// (bench/lib/net-load.ts: echo-load and wrk, which the guest finds on the host's shared root):
// one `@@BENCH-NET {json}` line per case and runner, and the syscall cost here (`@@BENCH-SYSCALL`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { runCommand, type Command } from './lib/exec.js';
import { PLAN_FILE, RUNNERS, type KernelBenchPlan, type KernelBenchRun, type KernelNetPlan, type KernelNetRun } from './lib/kernel-plan.js';
import { echoCase, freePort, waitReady, wrkCase, type LoadCase } from './lib/net-load.js';

const plan = JSON.parse(readFileSync(PLAN_FILE, 'utf8')) as KernelBenchPlan;
const env = { ...process.env, KWASM_BENCH_TIMING: '1' };
for (let rep = 0; rep < plan.reps; rep++) {
  for (const p of plan.programs) {
    for (const runner of RUNNERS) {
      const dirs = p.dirs.flatMap((d) => ['--dir', `${d}::${d}`]);
      const cmd: Command = runner === 'native' ? { file: p.native, args: p.args }
        : { file: process.execPath, args: [plan.cli, 'run', ...(runner === 'kwasm-jit' ? [] : ['--kernel']), ...dirs, p.wasm, ...p.args] };
      const r = await runCommand(cmd, 600_000, env);
      const out: KernelBenchRun = { program: p.name, runner, rep, ok: r.ok, error: r.error, wallMs: r.wallMs, runMs: r.timing.runMs, checksum: r.checksum };
      console.log(`@@BENCH-KERNEL ${JSON.stringify(out)}`);
    }
  }
}

/** A server of `kind` under `runner` on `port` (the same command lines as bench/net.ts, plus --kernel). */
function startServer(net: KernelNetPlan, kind: 'echo' | 'httpd', runner: string, port: number): ChildProcess {
  const addr = `127.0.0.1:${port}`;
  const p = net.programs;
  if (runner === 'native') return spawn(kind === 'echo' ? p.echo : p.httpd, kind === 'echo' ? [addr] : [net.www, addr], { stdio: 'ignore' });
  const mode = runner === 'kwasm-jit' ? [] : ['--kernel'];
  const args = kind === 'echo' ? [p.echoWasm] : ['--dir', `${net.www}::/www`, p.httpdWasm, '/www'];
  return spawn(process.execPath, [plan.cli, 'run', ...mode, '--tcplisten', addr, ...args], { stdio: 'ignore' });
}

if (plan.net) {
  const net = plan.net;
  console.log(`@@BENCH-SYSCALL ${execFileSync(net.syscallCost, ['100000']).toString().trim()}`);
  const groups: Array<['echo' | 'httpd', LoadCase[]]> = [
    ['echo', [1, 16].map((c) => echoCase(net.programs.echoLoad, c, 64, net.ms))],
    ['httpd', [1, 16].map((c) => wrkCase(c, net.path, 'small file', net.ms))],
  ];
  for (const [kind, cases] of groups) {
    for (const runner of RUNNERS) {
      const port = await freePort();
      const child = startServer(net, kind, runner, port);
      try {
        await waitReady(port, child, 1200); // node starts in 10-40 s under TCG
        for (const c of cases) {
          let out: KernelNetRun;
          try {
            const r = c.run(port);
            out = { case: c.name, runner, ok: true, ...r };
          } catch (e) {
            const x = e as Error & { stdout?: Buffer; stderr?: Buffer };
            out = { case: c.name, runner, ok: false, error: `${x.message.split('\n')[0]} ${x.stderr?.toString() ?? ''} ${x.stdout?.toString().slice(0, 300) ?? ''}`.trim() };
          }
          console.log(`@@BENCH-NET ${JSON.stringify(out)}`);
        }
      } catch (e) {
        for (const c of cases) console.log(`@@BENCH-NET ${JSON.stringify({ case: c.name, runner, ok: false, error: (e as Error).message } satisfies KernelNetRun)}`);
      } finally {
        child.kill('SIGKILL');
        if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      }
    }
  }
}
