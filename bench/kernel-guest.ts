// Guest side of `npm run bench:kernel` (bench/kernel.ts boots the VM with this script): runs each
// syscall program natively, with kwasm-jit in user mode and with `kwasm-jit run --kernel`,
// interleaved (program by program, runner by runner, rep by rep), and prints one
// `@@BENCH-KERNEL {json}` line per run on the console, which the host collects.
import { readFileSync } from 'node:fs';
import { runCommand, type Command } from './lib/exec.js';
import { PLAN_FILE, RUNNERS, type KernelBenchPlan, type KernelBenchRun } from './lib/kernel-plan.js';

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
