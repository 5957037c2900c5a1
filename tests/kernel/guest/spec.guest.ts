// Guest-side: the non-SIMD spec scripts' execution commands in kernel mode. Every module is
// compiled in the guest and instantiated in ring 0 (kernel-engine.ts); assert_return and
// assert_trap (plus assert_exhaustion) are tallied as passed / failed / not supported in kernel
// mode. The JSON cache was built on the host before boot (the guest's root is read-only).
// Failures are real bugs of kernel mode and fail the test; unsupported ones are only counted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { cacheDir } from '../../spec/convert.js';
import { handlers, type Command, type FileContext, type Outcome } from '../../spec/runner.js';
import { execHandlers } from '../../spec/exec.js';
import { KernelEngine } from './kernel-engine.js';

const test = suite('spec subset in ring 0');
const TALLIED = new Set(['assert_return', 'assert_trap', 'assert_exhaustion']);
const UNSUPPORTED = 'not supported in kernel mode yet';

const BUNDLE = (): string => join(cacheDir(), 'kernel-spec.json.gz');
/** commands the guest does not run (decoding and validation are user mode's spec suite) */
const skipped = (c: Command): boolean => c.type.startsWith('assert_malformed') || c.type === 'assert_invalid';

interface Script { name: string; dir: string; commands: Command[]; modules?: ReadonlyMap<string, Uint8Array> }
interface BundledScript { name: string; commands: Command[]; modules: Record<string, string> }

function scriptNames(): string[] {
  const dir = cacheDir();
  return readdirSync(dir).filter((n) => !n.startsWith('simd') && existsSync(join(dir, n, `${n}.json`))).sort();
}

/**
 * Host side, before boot (tests/kernel/kernel.suite.ts): every non-SIMD script with its module
 * files in one gzip'd JSON file. Reading a file over the VM's 9p share costs 10-120 ms under TCG
 * (more when the host is loaded), and the scripts are 90 JSON files plus 1,245 modules: read one
 * by one, that was a third of the run. Returns the number of scripts bundled.
 */
export function writeSpecBundle(): number {
  const out: BundledScript[] = [];
  for (const name of scriptNames()) {
    const dir = join(cacheDir(), name);
    const script = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { commands: Command[] };
    const commands = script.commands.filter((c) => !skipped(c));
    const modules: Record<string, string> = {};
    for (const c of commands) if (c.filename && existsSync(join(dir, c.filename))) modules[c.filename] = readFileSync(join(dir, c.filename)).toString('base64');
    out.push({ name, commands, modules });
  }
  writeFileSync(BUNDLE(), gzipSync(JSON.stringify(out)));
  return out.length;
}

/** Every non-SIMD script, from the bundle when the host wrote one (one 9p read), else file by file. */
function loadScripts(): Script[] {
  if (existsSync(BUNDLE())) {
    const all = JSON.parse(gunzipSync(readFileSync(BUNDLE())).toString('utf8')) as BundledScript[];
    return all.map((b) => ({
      name: b.name, dir: join(cacheDir(), b.name), commands: b.commands,
      modules: new Map(Object.entries(b.modules).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    }));
  }
  return scriptNames().map((name) => {
    const dir = join(cacheDir(), name);
    return { name, dir, commands: (JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { commands: Command[] }).commands };
  });
}

/** KWASM_KERNEL_SPEC=a,b,c (set by a scratch entry before import) runs only those scripts. */
function selected(all: Script[]): Script[] {
  const only = process.env.KWASM_KERNEL_SPEC;
  return only && only !== 'all' ? all.filter((s) => only.split(',').includes(s.name)) : all;
}

test('assert_return / assert_trap of the modules kernel mode supports', () => {
  const t0 = Date.now();
  const sum = { passed: 0, failed: 0, unsupported: 0 };
  const features = new Map<string, number>();
  const failures: string[] = [];
  const r0 = performance.now();
  const scripts = selected(loadScripts());
  const readMs = performance.now() - r0;
  assert.ok(scripts.length > 0, `no converted spec scripts in ${cacheDir()}`);
  for (const { name, dir, commands, modules } of scripts) {
    const engine = new KernelEngine();
    const ctx: FileContext = { dir, engine, current: null, named: new Map(), modules };
    const f0 = Date.now();
    let p = 0, u = 0, bad = 0;
    const byType = new Map<string, number>();
    for (const cmd of commands) {
      const h = execHandlers[cmd.type] ?? handlers[cmd.type];
      if (!h || skipped(cmd)) continue;
      let out: Outcome;
      const c0 = performance.now();
      try { out = h(cmd, ctx); } catch (e) { out = { status: 'failed', detail: String(e) }; }
      byType.set(cmd.type, (byType.get(cmd.type) ?? 0) + performance.now() - c0);
      if (!TALLIED.has(cmd.type)) continue;
      const detail = out.detail ?? '';
      if (out.status === 'passed') { sum.passed++; p++; } else if (detail.includes(UNSUPPORTED)) {
        sum.unsupported++; u++;
        const feat = detail.slice(detail.indexOf(UNSUPPORTED) + UNSUPPORTED.length + 2);
        features.set(feat, (features.get(feat) ?? 0) + 1);
      } else { sum.failed++; bad++; failures.push(`${name}.wast:${cmd.line} ${cmd.type}: ${detail}`); }
    }
    engine.dispose();
    if (process.env.KWASM_KERNEL_SPEC_VERBOSE) {
      const s = engine.stats, ms = (x: number): string => x.toFixed(0);
      console.log(`  ${name}: ${p} ok, ${bad} bad, ${u} unsupported, ${Date.now() - f0} ms ` +
        `(${s.loads} loads: compile ${ms(s.compile)}, instantiate ${ms(s.load)}; ${s.invokes} invokes ${ms(s.invoke)}; close ${ms(s.close)}; ` +
        `by command ${[...byType].map(([k, v]) => `${k} ${ms(v)}`).join(', ')})`);
    }
  }
  for (const f of failures.slice(0, 30)) console.log(`  FAIL ${f}`);
  console.log(`  not supported in kernel mode, by feature: ${[...features].map(([k, v]) => `${k} ${v}`).join('; ') || 'none'}`);
  if (process.env.KWASM_KERNEL_SPEC_VERBOSE) console.log(`  reading the scripts: ${readMs.toFixed(0)} ms`);
  console.log(`@@SPEC-KERNEL ${JSON.stringify({ files: scripts.length, ...sum, ms: Date.now() - t0 })}`);
  assert.is(sum.failed, 0, `${sum.failed} spec assertions fail in kernel mode`);
});

export default test;
