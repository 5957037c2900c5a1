// `npm run bench:kernel`: the syscall programs (bench/programs/syscall/) natively, with kwasm-jit in
// user mode and with `kwasm-jit run --kernel`, inside the kernel test VM (QEMU TCG: absolute
// times are far slower than bare metal; the ratios are the point). Builds the programs natively
// and to wasm on the host first (the guest root is read-only), boots the VM with
// bench/kernel-guest.ts, collects its `@@BENCH-KERNEL` lines from the console, and prints and
// writes bench/results/kernel.md: medians and ratios to native. A measurement, not a test.
//
// usage: npm run bench:kernel -- [--reps N] [--scale F]
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram, detectToolchain } from './lib/build.js';
import { PROGRAMS } from './lib/programs.js';
import { median } from './lib/stats.js';
import { findKernel, runInVm } from '../kernel-loader/vm/harness.js';
import { PLAN_FILE, RUNNERS, type KernelBenchPlan, type KernelBenchRun } from './lib/kernel-plan.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const buildDir = join(root, 'build', 'bench');
const DATA = join(buildDir, 'data', 'read-1MiB.bin');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i < 0 ? dflt : Number(process.argv[i + 1]);
  if (!(v > 0)) throw new Error(`${name} needs a positive number`);
  return v;
}

async function main(): Promise<void> {
  const reps = Math.round(arg('--reps', 3)), scale = arg('--scale', 1);
  const n = (x: number): string => String(Math.max(1, Math.round(x * scale)));
  const tc = detectToolchain();
  mkdirSync(dirname(DATA), { recursive: true });
  if (!existsSync(DATA) || statSync(DATA).size !== 1 << 20) {
    const b = Buffer.alloc(1 << 20);
    for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
    writeFileSync(DATA, b);
  }
  // Workloads sized for TCG (tens of times slower than the host, syscalls more so).
  const work: Record<string, { args: string[]; dirs: string[] }> = {
    'sys-devnull': { args: ['/dev/null', n(20000), '16'], dirs: ['/dev'] },
    'sys-pipe': { args: [n(20000), '16'], dirs: [] },
    'sys-fileread': { args: [DATA, n(1), '64'], dirs: [dirname(DATA)] },
  };
  const plan: KernelBenchPlan = { reps, cli: join(root, 'bin', 'kwasm-jit.js'), programs: [] };
  for (const p of PROGRAMS.filter((x) => x.suite === 'syscall')) {
    const b = buildProgram(p, tc, join(root, 'bench', 'programs'), buildDir);
    const w = work[p.name];
    if (!w) throw new Error(`no kernel workload for ${p.name}`);
    plan.programs.push({ name: p.name, kind: p.kind, native: b.native, wasm: b.wasm, ...w });
  }
  writeFileSync(PLAN_FILE, JSON.stringify(plan));
  const k = findKernel();
  console.log(`bench:kernel: Debian kernel ${k.version}, QEMU TCG, ${reps} reps, interleaved`);
  const run = await runInVm({ script: join(root, 'dist', 'bench', 'kernel-guest.js'), timeoutMs: 1_800_000 });
  const runs = [...run.output.matchAll(/@@BENCH-KERNEL (\{.*\})/g)].map((m) => JSON.parse(m[1] as string) as KernelBenchRun);
  for (const p of run.problems) console.log(`  problem: ${p}`);
  for (const r of runs.filter((x) => !x.ok)) console.log(`  failed: ${r.program} ${r.runner} rep ${r.rep}: ${r.error ?? ''}`);

  const fmt = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const lines = [
    '# kwasm-jit: kernel mode vs user mode vs native (syscall programs)', '',
    `Inside the test VM (Debian ${k.version}, QEMU TCG, 2 vCPUs, \`preempt=full\`), ${reps} interleaved reps, medians. ` +
    'Absolute times are TCG times, far slower than bare metal. "run" is the in-process run time the CLI reports ' +
    '(`KWASM_BENCH_TIMING`, excludes node start-up and compilation); native is wall time of the process. ' +
    'Ratios are run time / native wall time (lower is better). In kernel mode the reads and writes of all three are ' +
    'served in ring 0 (`sys-pipe` on stdout, `sys-devnull` and `sys-fileread` on files opened with path_open, which ' +
    'user space mirrors into the kernel\'s fd table); only path_open and the preopen scan go out to user-space WASI.', '',
    '| program | kind | native ms | kwasm-jit run ms | kwasm-jit --kernel run ms | user / native | kernel / native | kernel / user | checksums agree |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of plan.programs) {
    const of = (runner: string): KernelBenchRun[] => runs.filter((r) => r.program === p.name && r.runner === runner && r.ok);
    const nat = median(of('native').map((r) => r.wallMs));
    const user = median(of('kwasm-jit').map((r) => r.runMs ?? NaN));
    const kern = median(of('kwasm-jit --kernel').map((r) => r.runMs ?? NaN));
    const sums = new Set(runs.filter((r) => r.program === p.name).map((r) => r.checksum ?? 'none'));
    const all = RUNNERS.every((x) => of(x).length === reps);
    lines.push(`| ${p.name} | ${p.kind} (${p.args.filter((a) => !a.startsWith('/')).join(' ')}) | ${fmt(nat)} | ${fmt(user)} | ${fmt(kern)} | ` +
      `${fmt(user / nat)}x | ${fmt(kern / nat)}x | ${(kern / user).toFixed(2)}x | ${sums.size === 1 && all ? 'yes' : `NO (${[...sums].join(', ')})`} |`);
  }
  lines.push('', `VM run ${(run.ms / 1000).toFixed(0)} s; ${runs.length} runs, ${runs.filter((r) => !r.ok).length} failed. ` +
    `Generated by \`npm run bench:kernel\` on ${new Date().toISOString().slice(0, 10)}.`);
  const md = `${lines.join('\n')}\n`;
  console.log(md);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'kernel.md'), md);
  if (run.problems.length) process.exitCode = 1;
}

await main();
