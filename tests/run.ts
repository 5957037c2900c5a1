// The one test entry point behind `npm test`.
//
// Every `tests/**/*.test.ts` is a uvu file; every `tests/**/*.suite.ts` is a
// self-counting suite (the spec runner, the kernel VM stage) whose last line
// is `N passed, N failed`. Each runs in its own node process: a suite that
// installs signal handlers or deliberately crashes a child cannot take the
// others down, and a crash counts as a failure instead of ending the run.
// The last line printed here sums every suite for CI.
import './hermetic-cache.js'; // the CLI's compiled-code cache in a temp dir, not ~/.cache
import './fresh-bundle.js'; // the CLI bundle rebuilt once here if a tsc-only build left it stale
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const testsDir = dirname(fileURLToPath(import.meta.url));

interface Outcome { file: string; passed: number; failed: number; skipped: number; ms: number; }

function collect(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js') || name.endsWith('.suite.js')) out.push(p);
  }
  return out;
}

function num(text: string, re: RegExp): number | undefined {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

function runOne(file: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => { text += d.toString(); process.stdout.write(d); });
    child.stderr.on('data', (d: Buffer) => { text += d.toString(); process.stderr.write(d); });
    child.on('close', (code, signal) => {
      const ms = Date.now() - started;
      const rel = relative(testsDir, file);
      let passed = 0, failed = 0, skipped = 0;
      if (file.endsWith('.suite.js')) {
        const lines = [...text.matchAll(/^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm)];
        const last = lines[lines.length - 1];
        if (last) { passed = Number(last[1]); failed = Number(last[2]); skipped = Number(last[3] ?? 0); }
      } else {
        const total = num(text, /Total:\s+(\d+)/);
        passed = num(text, /Passed:\s+(\d+)/) ?? 0;
        skipped = num(text, /Skipped:\s+(\d+)/) ?? 0;
        failed = total === undefined ? 0 : total - passed - skipped;
      }
      if (code !== 0 && failed === 0) failed = 1; // crashed or exited non-zero without saying why
      if (signal) console.error(`${rel}: killed by ${signal}`);
      resolve({ file: rel, passed, failed, skipped, ms });
    });
  });
}

async function main(): Promise<void> {
  const unitOnly = process.argv.includes('--unit');
  const files = collect(testsDir, []).filter((f) => !(unitOnly && f.endsWith('.suite.js')));
  const queue = [...files];
  const results: Outcome[] = [];
  // Two cores here: one file per core keeps wall time down without starving either.
  const workers = Array.from({ length: Math.min(cpus().length, 2) }, async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) results.push(await runOne(f));
  });
  await Promise.all(workers);
  results.sort((a, b) => a.file.localeCompare(b.file));
  let passed = 0, failed = 0, skipped = 0;
  console.log('\nsuite summary');
  for (const r of results) {
    passed += r.passed; failed += r.failed; skipped += r.skipped;
    console.log(`  ${r.failed ? 'FAIL' : 'ok  '} ${r.file.padEnd(44)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${(r.ms / 1000).toFixed(1)} s)`);
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
