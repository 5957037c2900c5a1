// `npm run fuzz -- [--count N] [--seed S] [--start I] [--jobs J] [--out DIR] [--no-reduce]`:
// a long differential run (batch.ts). Every finding is saved under DIR (default fuzz-out/,
// gitignored) as seed-S-module-I/: module.wasm (as -ttf made it), report.txt (what differed, both
// sides' observations and logs) and reduced.wasm (wasm-reduce, keeping the same kind of difference).
//
// `--check FILE.wasm`: compare one module in this process and print `same` (exit 0) or
// `differs: FIELD` (exit 1); the command wasm-reduce runs. `--show S:I`: regenerate module I of
// seed S into the current directory and print the full comparison.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findingDir, report, runBatch, saveFinding, summary, type Finding } from './batch.js';
import { moduleDifference, type ModuleResult } from './differential.js';
import { FEATURE_FLAGS, WASM_OPT, WASM_REDUCE, generateModule } from './generate.js';
import { compareWithKwasm } from './pair.js';

const USAGE = 'usage: npm run fuzz -- [--count N] [--seed S] [--start I] [--jobs J] [--out DIR] [--no-reduce] [--reduce-s SECONDS]\n' +
  '       node dist/tests/fuzz/fuzz.js --check FILE.wasm | --show SEED:INDEX';
const SELF = fileURLToPath(import.meta.url);

interface Options { count: number; seed: number; start: number; jobs: number; out: string; reduce: boolean; reduceSeconds: number; check?: string; show?: string }

function parse(argv: string[]): Options {
  const o: Options = { count: 1000, seed: Date.now() % 1_000_000, start: 0, jobs: 2, out: 'fuzz-out', reduce: true, reduceSeconds: 600 };
  const num = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${flag} needs a non-negative integer`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--count': o.count = num(a, argv[++i]); break;
      case '--seed': o.seed = num(a, argv[++i]); break;
      case '--start': o.start = num(a, argv[++i]); break;
      case '--jobs': o.jobs = Math.max(1, num(a, argv[++i])); break;
      case '--out': o.out = argv[++i] ?? ''; break;
      case '--no-reduce': o.reduce = false; break;
      case '--reduce-s': o.reduceSeconds = num(a, argv[++i]); break;
      case '--check': o.check = argv[++i]; break;
      case '--show': o.show = argv[++i]; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown option ${JSON.stringify(a)}`);
    }
  }
  if (!o.out) throw new Error('--out needs a directory');
  return o;
}

/** `differs: FIELD`: coarse on purpose, so wasm-reduce may rename and shrink around the bug. */
function signature(r: ModuleResult): string {
  const d = moduleDifference(r);
  if (!d) return 'same';
  return `differs: ${r.instantiate.difference ? 'instantiate' : (/^export .*?: (\w+):/.exec(d)?.[1] ?? 'other')}`;
}

/** wasm-reduce runs binaryen's other tools from one directory (-b): the one wasm-opt is in. */
function binaryenDir(): string {
  const dir = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, WASM_OPT)));
  if (!dir) throw new Error(`${WASM_OPT} not found on PATH: install the Debian package binaryen (npm run setup does)`);
  return `${dir}/`;
}

/**
 * wasm-reduce into DIR/reduced.wasm, keeping the same kind of difference (--check). Stopped after
 * `seconds` (it can take many minutes on a loaded machine); reduced.wasm then holds the smallest
 * module found so far. Its log goes to DIR/reduce.log.
 */
function reduce(dir: string, seconds: number): string {
  const r = spawnSync(WASM_REDUCE, ['module.wasm', `--command=${process.execPath} ${SELF} --check test.wasm`, '-t', 'test.wasm', '-w', 'reduced.wasm',
    '-b', binaryenDir(), '--timeout', '10', `--extra-flags=${FEATURE_FLAGS.join(' ')}`],
  { cwd: dir, encoding: 'utf8', timeout: seconds * 1000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  writeFileSync(join(dir, 'reduce.log'), `${r.stdout ?? ''}${r.stderr ?? ''}`);
  rmSync(join(dir, 'test.wasm'), { force: true });
  const size = existsSync(join(dir, 'reduced.wasm')) ? `${statSync(join(dir, 'reduced.wasm')).size} bytes` : 'nothing';
  if (r.error) return `stopped after ${seconds} s (${r.error.message}), reduced.wasm: ${size}`;
  return `wasm-reduce exit ${r.status ?? r.signal}, reduced.wasm: ${size}`;
}

async function main(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (o.check) {
    const sig = signature(compareWithKwasm(new Uint8Array(readFileSync(o.check))));
    console.log(sig);
    return sig === 'same' ? 0 : 1;
  }
  if (o.show) {
    const m = /^(\d+):(\d+)$/.exec(o.show);
    if (!m) throw new Error('--show needs SEED:INDEX');
    const bytes = generateModule(Number(m[1]), Number(m[2]));
    const file = `fuzz-${m[1]}-${m[2]}.wasm`;
    writeFileSync(file, bytes);
    const result = compareWithKwasm(bytes);
    console.log(`${file}\n${report({ seed: Number(m[1]), index: Number(m[2]), difference: moduleDifference(result) ?? 'no difference', result })}`);
    for (const e of result.exports) if (!e.difference) console.log(`${e.name}: ${e.ref.outcome}; log ${e.ref.log}`);
    return 0;
  }
  console.log(`fuzzing: seed ${o.seed}, modules ${o.start}..${o.start + o.count - 1}, ${o.jobs} jobs, findings to ${resolve(o.out)}`);
  const findings: Finding[] = [];
  const stats = await runBatch({
    seed: o.seed, count: o.count, start: o.start, jobs: o.jobs,
    onFinding: (f) => {
      findings.push(f);
      console.log(`finding: ${f.difference} (${saveFinding(o.out, f)})`);
    },
    onProgress: (done, s) => { if (done % 100 === 0) console.log(`  ${done}/${o.count}: ${summary(s)}`); },
  });
  for (const f of findings) {
    if (!o.reduce) break;
    const dir = findingDir(o.out, f);
    console.log(`reducing ${dir}: ${reduce(dir, o.reduceSeconds)}`);
  }
  for (const h of stats.harnessErrors) console.log(`harness error: ${h}`);
  console.log(summary(stats));
  return findings.length > 0 || stats.harnessErrors.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`fuzz: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
  process.exitCode = 2;
});
