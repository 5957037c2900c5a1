// Tests of the bench harness's pure parts (statistics, checksum agreement, report and chart
// rendering, child-process result parsing). These check bookkeeping only: no timed assertions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCommand, type RunResult } from '../../bench/lib/exec.js';
import { hostCpu } from '../../bench/lib/host.js';
import { cpuinfoField } from '../../jit/cache/features.js';
import { PROGRAMS } from '../../bench/lib/programs.js';
import { renderReport } from '../../bench/lib/report.js';
import { agreement, geomeanRatio, ratio, type ProgramResults, type RunnerState } from '../../bench/lib/results.js';
import { nativeRunner, v8Runner } from '../../bench/lib/runners.js';
import { geomean, median } from '../../bench/lib/stats.js';
import { renderSvg } from '../../bench/lib/svg.js';

function run(wallMs: number, checksum: string | undefined, error?: string): RunResult {
  return { ok: !error, error, wallMs, timing: {}, checksum, stdoutBytes: 0, stdoutTail: '', stderr: '' };
}

const runners: RunnerState[] = [
  { runner: nativeRunner() },
  { runner: { ...v8Runner('liftoff', 'x.js'), id: 'kwasm-jit', label: 'kwasm-jit' }, unavailable: 'CLI has no run command' },
  { runner: v8Runner('liftoff', 'x.js') },
];

function results(liftoffSum: string, liftoffError?: string): ProgramResults {
  return {
    program: PROGRAMS[0]!, args: ['1'],
    runs: new Map([
      ['native', [run(100, '42'), run(120, '42'), run(110, '42')]],
      ['v8-liftoff', [run(200, liftoffSum, liftoffError), run(240, liftoffSum), run(220, liftoffSum)]],
    ]),
  };
}

test('the host line names the CPU family, model and stepping from /proc/cpuinfo', () => {
  const info = 'processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel name\t: AMD EPYC\nmodel\t\t: 1\nstepping\t: 1\n\nprocessor\t: 1\nmodel\t\t: 7\n';
  assert.is(cpuinfoField(info, 'model', true), ' 1', 'the first processor\'s, and not "model name"\'s');
  assert.is(cpuinfoField(info, 'flags', true), undefined);
  assert.match(hostCpu(info), /^AMD EPYC \(family 25 model 1 stepping 1\), \d+ cores?$/);
  // without the fields (another OS) the model name alone, from os.cpus()
  assert.not.match(hostCpu(''), /family/);
});

test('median and geometric mean', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Math.abs(geomean([1, 4]) - 2) < 1e-12);
  assert.ok(Number.isNaN(geomean([])));
});

test('ratios use medians of each runner', () => {
  const pr = results('42');
  assert.ok(Math.abs(ratio(pr, 'v8-liftoff', 'total')! - 2) < 1e-12);
  assert.ok(Math.abs(geomeanRatio([pr], 'v8-liftoff', 'total') - 2) < 1e-12);
});

test('agreeing checksums pass, a differing one is a mismatch naming both sides', () => {
  assert.ok(agreement(results('42'), runners).ok);
  const bad = agreement(results('43'), runners);
  assert.not.ok(bad.ok);
  assert.match(bad.detail!, /native: `42`/);
  assert.match(bad.detail!, /V8 Liftoff: `43`/);
});

test('report shows mismatches, failures, unavailable runners and problems loudly', () => {
  const header = { mode: 'test', date: 'now', commit: 'abc', machine: 'm', versions: [], tierChecks: [], notes: [] };
  const md = renderReport(header, [results('43', 'exit status 1: boom')], runners, ['checksum mismatch on fib'], 'latest.svg');
  assert.match(md, /\*\*MISMATCH\*\*/);
  assert.match(md, /\*\*FAILED\*\*: exit status 1: boom/);
  assert.match(md, /kwasm-jit\*\*: not available: CLI has no run command/);
  assert.match(md, /PROBLEMS/);
});

test('SVG chart is one self-contained svg element with a bar per available runner', () => {
  const svg = renderSvg([results('42')], runners, 'title & <test>');
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.match(svg, /title &amp; &lt;test&gt;/);
  assert.match(svg, /kwasm-jit \(not available\)/);
  assert.is((svg.match(/<rect [^>]*><title>/g) ?? []).length, 1);
});

test('runCommand takes the last checksum line and reports a non-zero exit as a failure', async () => {
  const ok = await runCommand({ file: process.execPath, args: ['-e', 'console.log("checksum: 1"); console.log("checksum: 2 x")'] }, 30_000);
  assert.ok(ok.ok);
  assert.is(ok.checksum, '2 x');
  const bad = await runCommand({ file: process.execPath, args: ['-e', 'console.error("error: bad thing"); process.exit(3)'] }, 30_000);
  assert.not.ok(bad.ok);
  assert.match(bad.error!, /exit status 3: error: bad thing/);
  const timing = await runCommand({ file: process.execPath, args: ['-e', 'console.log("checksum: 7"); console.error(\'@bench-timing {"compileMs":1.5,"runMs":2}\')'] }, 30_000);
  assert.equal(timing.timing, { compileMs: 1.5, instantiateMs: undefined, runMs: 2 });
});

test.run();
