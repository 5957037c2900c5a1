// `npm run bench`: builds the C benchmark programs natively and to wasm32-wasi, runs them
// interleaved on every runner (native, kwasm-jit, V8 Liftoff, V8 TurboFan), checks that all
// runners print the same checksum, writes bench/results/latest.md and latest.svg, then runs the
// other bench/*.bench.js scripts present and appends their output.
//
// usage: node dist/bench/run.js [--reps N] [--only NAME[,NAME]] [--quick] [--no-extra] [--timeout S] [--out NAME]
//   --quick     1 repetition (unless --reps), workloads about a tenth of the full size
//   --only      run only these programs (names as in the table; `syscall` and `simd` select a suite)
//   --out       results under bench/results/NAME.md and NAME.svg (default latest), so a suite's
//               run (`--only simd --out simd`) does not replace the full one
//   --no-extra  skip the other bench/*.bench.js scripts
// Exit status: 0 when every available runner ran every program and all checksums agree.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram, detectToolchain, NATIVE_FLAGS, WASM_FLAGS, type Built } from './lib/build.js';
import { runCommand } from './lib/exec.js';
import { DATA_FILE, DATA_FILE_BYTES, PROBE, PROGRAMS, type Program } from './lib/programs.js';
import { agreement, summarize, type ProgramResults, type RunnerState } from './lib/results.js';
import { renderReport } from './lib/report.js';
import { hostCpu } from './lib/host.js';
import { checkTier, kwasmCliRunner, nativeRunner, probe, v8Runner, LIFTOFF_FLAGS, TURBOFAN_FLAGS } from './lib/runners.js';
import { renderSvg } from './lib/svg.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = resolve(here, '..', '..');
const programsDir = join(root, 'bench', 'programs');
const buildDir = join(root, 'build', 'bench');
const dataDir = join(buildDir, 'data');
const resultsDir = join(root, 'bench', 'results');
const v8Script = join(here, 'v8-wasi-runner.js');

interface Options { reps: number; only?: string[]; quick: boolean; extra: boolean; timeoutMs: number; out: string; }

function parseArgs(argv: string[]): Options {
  const o: Options = { reps: 5, quick: false, extra: true, timeoutMs: 300_000, out: 'latest' };
  let repsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--reps') { o.reps = Number(value()); repsGiven = true; }
    else if (a === '--only') o.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--quick') o.quick = true;
    else if (a === '--no-extra') o.extra = false;
    else if (a === '--timeout') o.timeoutMs = Number(value()) * 1000;
    else if (a === '--out') o.out = value();
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--reps N] [--only NAME[,NAME]] [--quick] [--no-extra] [--timeout SECONDS] [--out NAME]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.quick && !repsGiven) o.reps = 1;
  if (!Number.isInteger(o.reps) || o.reps < 1) throw new Error('--reps needs a positive integer');
  if (!(o.timeoutMs > 0)) throw new Error('--timeout needs a positive number of seconds');
  if (!/^[\w-]+$/.test(o.out)) throw new Error('--out needs a plain name (letters, digits, - and _)');
  return o;
}

function selectPrograms(only: string[] | undefined): Program[] {
  if (!only) return [...PROGRAMS];
  const picked = PROGRAMS.filter((p) => only.includes(p.name) || only.includes(p.suite));
  const unknown = only.filter((n) => !PROGRAMS.some((p) => p.name === n || p.suite === n));
  if (unknown.length) throw new Error(`unknown program(s): ${unknown.join(', ')}; known: ${PROGRAMS.map((p) => p.name).join(', ')}`);
  return picked;
}

/** The file read by sys-fileread: deterministic bytes, created once. */
function ensureDataFile(): void {
  const file = join(dataDir, DATA_FILE);
  if (existsSync(file) && statSync(file).size === DATA_FILE_BYTES) return;
  mkdirSync(dataDir, { recursive: true });
  const buf = Buffer.alloc(DATA_FILE_BYTES);
  let seed = 12345;
  for (let i = 0; i < buf.length; i++) { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; buf[i] = seed >>> 24; }
  writeFileSync(file, buf);
}

function sh(cmd: string, args: string[]): string {
  try { return execFileSync(cmd, args, { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return '?'; }
}

function fmtS(ms: number): string { return `${(ms / 1000).toFixed(3)}s`; }

/** Runs the other bench scripts (compile, crossing, assembler, decode, ...) and returns markdown. */
async function runExtraBenches(quick: boolean, problems: string[]): Promise<string> {
  const scripts = existsSync(here) ? readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort() : [];
  if (scripts.length === 0) return '\n## Other benchmarks\n\nNo `bench/*.bench.ts` scripts present yet.\n';
  let md = '\n## Other benchmarks\n';
  for (const s of scripts) {
    console.log(`\n== ${s}`);
    const args = quick ? [join(here, s), '--quick'] : [join(here, s)];
    const { code, out } = await new Promise<{ code: number | null; out: string }>((res) => {
      let text = '';
      const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20 * 60_000);
      child.stdout.on('data', (d: Buffer) => { text += d.toString(); process.stdout.write(d); });
      child.stderr.on('data', (d: Buffer) => { text += d.toString(); process.stderr.write(d); });
      child.on('close', (c) => { clearTimeout(timer); res({ code: c, out: text }); });
    });
    md += `\n### ${s.replace(/\.js$/, '.ts')}\n\n`;
    if (code !== 0) {
      problems.push(`${s} exited with status ${code}`);
      md += `**FAILED (exit status ${code})**; its output:\n\n`;
    }
    // A script that prints markdown tables is included as is; anything else as a code block.
    // Its own headings are demoted below this section's.
    md += /^\|.*\|\s*$/m.test(out) ? `${out.trim().replace(/^#{1,4} /gm, '#### ')}\n` : `\`\`\`\n${out.trim()}\n\`\`\`\n`;
  }
  return md;
}

async function main(): Promise<number> {
  const opt = parseArgs(process.argv.slice(2));
  const programs = selectPrograms(opt.only);
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const problems: string[] = [];

  // 1. build (cached by source hash)
  const tc = detectToolchain();
  console.log(`building ${programs.length} programs into ${buildDir} (cached by source hash)`);
  const built = new Map<string, Built>();
  const fib = PROGRAMS.find((p) => p.name === 'fib')!;
  for (const p of [PROBE, fib, ...programs]) {
    if (built.has(p.name)) continue;
    const b = buildProgram(p, tc, programsDir, buildDir);
    if (b.compiled) console.log(`  compiled ${p.name}`);
    built.set(p.name, b);
  }
  ensureDataFile();

  // 2. runners, each probed on a tiny program: a runner that cannot run it is "not available"
  const probeBuilt = built.get('probe')!;
  const states: RunnerState[] = [];
  for (const runner of [nativeRunner(), v8Runner('liftoff', v8Script), v8Runner('turbofan', v8Script)]) {
    const a = await probe(runner, probeBuilt, root);
    states.push(a.ok ? { runner } : { runner, unavailable: a.reason });
    console.log(`runner ${runner.label}: ${a.ok ? 'ok' : `not available: ${a.reason}`}`);
    if (!a.ok) problems.push(`baseline runner ${runner.label} not available: ${a.reason}`);
  }
  // kwasm-jit: the real CLI (`kwasm-jit run`), as a user runs it
  const cli = kwasmCliRunner(root);
  const viaCli = await probe(cli, probeBuilt, root);
  const kwasm: RunnerState = viaCli.ok ? { runner: cli } : { runner: cli, unavailable: `CLI: ${viaCli.reason}` };
  if (!viaCli.ok) problems.push(`kwasm-jit not available: ${viaCli.reason}`);
  states.splice(1, 0, kwasm);
  console.log(`runner kwasm-jit: ${kwasm.unavailable ? `not available: ${kwasm.unavailable}` : kwasm.runner.description}`);
  const tierChecks: string[] = [];
  for (const tier of ['liftoff', 'turbofan'] as const) {
    const t = checkTier(tier, v8Script, built.get('fib')!.wasm);
    const flags = (tier === 'liftoff' ? LIFTOFF_FLAGS : TURBOFAN_FLAGS).join(' ');
    const line = `\`${flags}\`: ${t.liftoffFunctions} Liftoff, ${t.turbofanFunctions} TurboFan functions: ${t.ok ? 'ok' : 'WRONG TIER'}`;
    tierChecks.push(line);
    console.log(`tier check ${line}`);
    if (!t.ok) problems.push(`V8 ${tier} flags do not select the tier: ${line}`);
  }

  // 3. measure: per program, N repetitions, each repetition runs every runner once (rotating the
  //    order so no runner is always first after a program switch)
  const active = states.filter((st) => !st.unavailable);
  const results: ProgramResults[] = [];
  console.log(`\nrunning ${programs.length} programs × ${active.length} runners × ${opt.reps} reps${opt.quick ? ' (quick workloads)' : ''}`);
  for (const p of programs) {
    const inv = p.invocation(opt.quick, dataDir);
    const pr: ProgramResults = { program: p, args: inv.args, runs: new Map(active.map((st) => [st.runner.id, []])) };
    for (let rep = 0; rep < opt.reps; rep++) {
      for (let k = 0; k < active.length; k++) {
        const st = active[(rep + k) % active.length]!;
        const r = await runCommand(st.runner.command(built.get(p.name)!, inv), opt.timeoutMs, st.runner.env);
        pr.runs.get(st.runner.id)!.push(r);
      }
    }
    results.push(pr);
    const cells = active.map((st) => {
      const s = summarize(pr.runs.get(st.runner.id)!)!;
      return `${st.runner.label} ${s.error ? `FAILED (${s.error})` : fmtS(s.totalMs)}`;
    });
    const a = agreement(pr, active);
    console.log(`${p.name.padEnd(13)} ${cells.join('  ')}  ${a.ok ? 'checksums agree' : `CHECKSUM MISMATCH: ${a.detail}`}`);
  }
  for (const pr of results) {
    const a = agreement(pr, active);
    if (!a.ok) problems.push(`checksum mismatch on ${pr.program.name}: ${a.detail}`);
    for (const st of active) {
      const s = summarize(pr.runs.get(st.runner.id) ?? []);
      if (s?.error) problems.push(`${st.runner.label} failed on ${pr.program.name}: ${s.error}`);
    }
  }

  // 4. report
  const mode = `${opt.quick ? 'QUICK workloads (development run, not for comparison)' : 'full workloads'}, ${opt.reps} repetition${opt.reps > 1 ? 's' : ''} (median)` +
    (opt.only ? `, only ${opt.only.join(',')}` : '');
  const header = {
    mode,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: `${sh('git', ['rev-parse', '--short', 'HEAD'])}${sh('git', ['status', '--porcelain']) ? ' (working tree has uncommitted changes)' : ''}`,
    machine: `${hostCpu()}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, shared with other work: 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end of the main suite (medians absorb some noise, not all)`,
    versions: [`node ${process.version} (V8 ${process.versions.v8})`, `native: \`${tc.gccVersion}\`, flags \`${NATIVE_FLAGS.join(' ')}\``,
      `wasm: \`${tc.clangVersion}\`, flags \`${WASM_FLAGS.join(' ')}\``],
    tierChecks,
    notes: [
      'Workloads (arguments): ' + results.map((pr) => `${pr.program.name} \`${pr.args.map((a) => a.startsWith(root) ? relative(root, a) : a).join(' ')}\``).join(', ') + '.',
      'Kernel mode (`kwasm-jit run --kernel`, `npm run bench:kernel` inside the QEMU VM) is not part of this run; its row belongs to the kernel harness.',
    ],
  };
  mkdirSync(resultsDir, { recursive: true });
  const svgName = `${opt.out}.svg`, mdName = `${opt.out}.md`;
  const title = `kwasm-jit benchmarks (${opt.quick ? 'quick' : 'full'}, ${opt.reps} reps)`;
  writeFileSync(join(resultsDir, svgName), renderSvg(results, states, title));
  let md = renderReport(header, results, states, problems, svgName);
  writeFileSync(join(resultsDir, mdName), md);

  // 5. the other bench scripts, appended
  if (opt.extra) {
    const extra = await runExtraBenches(opt.quick, problems);
    md = renderReport(header, results, states, problems, svgName) + extra;
    writeFileSync(join(resultsDir, mdName), md);
  }

  console.log(`\nwrote ${join(resultsDir, mdName)} and ${svgName} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log('\n' + readFileSync(join(resultsDir, mdName), 'utf8'));
  if (problems.length) {
    console.error(`\nBENCH PROBLEMS (${problems.length}):`);
    for (const p of problems) console.error(`  - ${p}`);
    return 1;
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
