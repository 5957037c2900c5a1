// Guest-side: the non-SIMD spec scripts' execution commands in kernel mode. Every module is
// compiled in the guest and instantiated in ring 0 (kernel-engine.ts); assert_return and
// assert_trap (plus assert_exhaustion) are tallied as passed / failed / not supported in kernel
// mode. The JSON cache was built on the host before boot (the guest's root is read-only).
// Failures are real bugs of kernel mode and fail the test; unsupported ones are only counted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { readFileSync } from 'node:fs';
import { cacheDir } from '../../spec/convert.js';
import { handlers, type Command, type FileContext, type Outcome } from '../../spec/runner.js';
import { execHandlers } from '../../spec/exec.js';
import { KernelEngine } from './kernel-engine.js';

const test = suite('spec subset in ring 0');
const TALLIED = new Set(['assert_return', 'assert_trap', 'assert_exhaustion']);
const UNSUPPORTED = 'not supported in kernel mode yet';

/**
 * Scripts left out of the VM stage for time only (TCG): every LOAD maps code W^X and reserves
 * 8 GiB, flushing every CPU's TLB, and these scripts instantiate hundreds of modules (const,
 * float_exprs) or assert little per second. All non-SIMD scripts together took 102 s in the VM
 * (23,267 passed); KWASM_KERNEL_SPEC=all in the guest's environment runs them all.
 */
const SLOW = new Set(['const', 'float_exprs', 'table_copy', 'table_init', 'imports', 'linking', 'memory_copy',
  'br_table', 'align', 'f32_cmp', 'f64_cmp', 'tokens', 'binary', 'binary-leb128']);

function files(): string[] {
  const dir = cacheDir();
  const all = readdirSync(dir).filter((n) => !n.startsWith('simd') && existsSync(join(dir, n, `${n}.json`))).sort();
  return process.env.KWASM_KERNEL_SPEC === 'all' ? all : all.filter((n) => !SLOW.has(n));
}

test('assert_return / assert_trap of the modules kernel mode supports', () => {
  const t0 = Date.now();
  const sum = { passed: 0, failed: 0, unsupported: 0 };
  const features = new Map<string, number>();
  const failures: string[] = [];
  const names = files();
  assert.ok(names.length > 0, `no converted spec scripts in ${cacheDir()}`);
  for (const name of names) {
    const json = join(cacheDir(), name, `${name}.json`);
    const script = JSON.parse(readFileSync(json, 'utf8')) as { commands: Command[] };
    const engine = new KernelEngine();
    const ctx: FileContext = { dir: dirname(json), engine, current: null, named: new Map() };
    const f0 = Date.now();
    let p = 0, u = 0, bad = 0;
    for (const cmd of script.commands) {
      const h = execHandlers[cmd.type] ?? handlers[cmd.type];
      if (!h || cmd.type.startsWith('assert_malformed') || cmd.type === 'assert_invalid') continue;
      let out: Outcome;
      try { out = h(cmd, ctx); } catch (e) { out = { status: 'failed', detail: String(e) }; }
      if (!TALLIED.has(cmd.type)) continue;
      const detail = out.detail ?? '';
      if (out.status === 'passed') { sum.passed++; p++; } else if (detail.includes(UNSUPPORTED)) {
        sum.unsupported++; u++;
        const feat = detail.slice(detail.indexOf(UNSUPPORTED) + UNSUPPORTED.length + 2);
        features.set(feat, (features.get(feat) ?? 0) + 1);
      } else { sum.failed++; bad++; failures.push(`${name}.wast:${cmd.line} ${cmd.type}: ${detail}`); }
    }
    engine.dispose();
    if (process.env.KWASM_KERNEL_SPEC_VERBOSE) console.log(`  ${name}: ${p} ok, ${bad} bad, ${u} unsupported, ${Date.now() - f0} ms`);
  }
  for (const f of failures.slice(0, 30)) console.log(`  FAIL ${f}`);
  console.log(`  not supported in kernel mode, by feature: ${[...features].map(([k, v]) => `${k} ${v}`).join('; ') || 'none'}`);
  console.log(`@@SPEC-KERNEL ${JSON.stringify({ files: names.length, ...sum, ms: Date.now() - t0 })}`);
  assert.is(sum.failed, 0, `${sum.failed} spec assertions fail in kernel mode`);
});

export default test;
