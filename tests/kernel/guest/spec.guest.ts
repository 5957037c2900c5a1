// Guest-side: the spec scripts' execution commands (SIMD ones included) in kernel mode. Every module is
// compiled in the guest and instantiated in ring 0 (kernel-engine.ts); assert_return and
// assert_trap (plus assert_exhaustion) are tallied as passed / failed / not supported in kernel
// mode. The JSON cache was built on the host before boot (the guest's root is read-only).
// Failures are real bugs of kernel mode and fail the test; unsupported ones are only counted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { cacheDir } from '../../spec/convert.js';
import { handlers, type Command, type FileContext, type Outcome } from '../../spec/runner.js';
import { execHandlers } from '../../spec/exec.js';
import { KernelEngine } from './kernel-engine.js';
import { instantiateInKernel, KernelUnsupportedError, type KernelFunction } from '../../../kernel-loader/loader.js';
import { I64 } from '../../../jit/frontend/types.js';
import { RuntimeError } from '../../../jit/errors.js';
import { Status } from '../../../kernel-loader/ioctl.js';

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
  return readdirSync(dir).filter((n) => existsSync(join(dir, n, `${n}.json`))).sort();
}

/**
 * Host side, before boot (tests/kernel/kernel.suite.ts): every script with its module
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

/** Every script, from the bundle when the host wrote one (one 9p read), else file by file. */
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
    // compileModule validates: the runner's own validation pass would be the same work twice
    const ctx: FileContext = { dir, engine, current: null, named: new Map(), modules, engineValidates: true };
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

/**
 * What the spec scripts check only indirectly: table builtins served in ring 0 with the spec's
 * bounds rules, funcrefs crossing the boundary as function indices (never addresses), externref
 * tokens kept as they are, exported mutable globals read and written through KWASM_IOC_GLOBAL.
 */
test('tables, references and mutable globals (exported and host-imported) at the kernel boundary', () => {
  const dir = mkdtempSync('/tmp/kwasm-kspec-');
  writeFileSync(join(dir, 'm.wat'), `(module
    (type $v (func (result i32)))
    (table $t 2 10 funcref)
    (table $e 1 externref)
    (global $g (export "g") (mut i32) (i32.const 7))
    (global $f (export "f") (mut funcref) (ref.func $a))
    (elem declare func $a $b)
    (elem $p funcref (ref.func $b) (ref.null func))
    (func $a (export "a") (result i32) (i32.const 1))
    (func $b (export "b") (result i32) (i32.const 2))
    (func (export "getg") (result i32) (global.get $g))
    (func (export "callf") (result i32) (table.set $t (i32.const 1) (global.get $f)) (call_indirect $t (type $v) (i32.const 1)))
    (func (export "ref") (param i32) (result funcref) (table.get $t (local.get 0)))
    (func (export "init") (param i32 i32 i32) (table.init $t $p (local.get 0) (local.get 1) (local.get 2)))
    (func (export "drop") (elem.drop $p))
    (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $a) (local.get 0)))
    (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $b) (local.get 1)))
    (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
    (func (export "size") (result i32) (table.size $t))
    (func (export "call") (param i32) (result i32) (call_indirect $t (type $v) (local.get 0)))
    (func (export "ext") (param externref) (result externref) (table.set $e (i32.const 0) (local.get 0)) (table.get $e (i32.const 0)))
    (func (export "id") (param funcref) (result funcref funcref i32) (local.get 0) (ref.null func) (i32.const 5)))`);
  execFileSync('wat2wasm', [join(dir, 'm.wat'), '-o', join(dir, 'm.wasm')]);
  const inst = instantiateInKernel(readFileSync(join(dir, 'm.wasm')));
  const e = inst.exports as Record<string, KernelFunction & { bits: bigint }>;
  try {
    const trap = (f: () => unknown, msg: string): void => assert.throws(f, (x: Error) => x instanceof RuntimeError && x.message === msg);
    // table.init: bounds checked before any write, then a dropped segment is empty
    trap(() => e.init(1, 0, 2), 'out of bounds table access');
    assert.is(e.ref(1), null, 'nothing written by the failed table.init');
    e.init(0, 0, 2);
    assert.is(e.call(0), 2);
    assert.is(e.ref(0), e.b, 'a funcref comes back as the same function');
    assert.ok((e.ref.raw([0n])[0] as bigint) === 2n, 'funcref leaves the kernel as function index + 1');
    e.drop();
    e.init(0, 0, 0);
    trap(() => e.init(0, 0, 1), 'out of bounds table access');
    // table.grow up to the declared max, table.fill/copy with the spec's bounds
    assert.is(e.grow(3), 2);
    assert.is(e.size(), 5);
    assert.is(e.call(4), 1, 'grown elements hold the init value');
    assert.is(e.grow(6), -1, 'past max 10: -1, nothing changes');
    assert.is(e.size(), 5);
    trap(() => e.fill(4, 2), 'out of bounds table access');
    assert.is(e.call(4), 1, 'nothing written by the failed table.fill');
    e.fill(2, 3);
    assert.is(e.call(4), 2);
    trap(() => e.copy(0, 4, 2), 'out of bounds table access');
    e.copy(1, 3, 2);
    assert.is(e.call(1), 2);
    trap(() => e.call(5), 'undefined element');
    // references across the boundary
    const token = { any: 'object' };
    assert.is(e.ext(token), token, 'externref token round trip');
    assert.is(e.ext(null), null);
    assert.equal(e.id(e.a), [e.a, null, 5], 'funcref in and out, multi-value');
    // exported mutable globals live in the kernel
    assert.is(e.g.bits, 7n);
    e.g.bits = 9n;
    assert.is(e.getg(), 9);
    assert.is(e.f.bits, 1n, 'funcref global as function index + 1');
    e.f.bits = 2n;
    assert.is(e.callf(), 2, 'a funcref written through the ioctl is called');
    assert.throws(() => { e.f.bits = 1000n; }, /EINVAL/, 'no function 999: rejected');
    assert.throws(() => inst.device.globalGet(2), /EINVAL/, 'no global 2');
    assert.throws(() => e.id.raw([1000n]), /EINVAL/, 'a funcref argument that is no function index: rejected by INVOKE');
    assert.is(e.getg(), 9, 'the instance still works after the rejected calls');
  } finally {
    inst.close();
  }
  // a host-provided mutable global: its cell moves into the one kernel instance that imports it
  writeFileSync(join(dir, 'g.wat'), `(module (import "env" "g" (global $g (mut i64)))
    (func (export "inc") (global.set $g (i64.add (global.get $g) (i64.const 1))))
    (func (export "get") (result i64) (global.get $g)))`);
  execFileSync('wat2wasm', [join(dir, 'g.wat'), '-o', join(dir, 'g.wasm')]);
  const g = { type: I64, mutable: true, bits: 41n };
  const gi = instantiateInKernel(readFileSync(join(dir, 'g.wasm')), { env: { g } });
  const ge = gi.exports as Record<string, KernelFunction>;
  ge.inc();
  assert.is(g.bits, 42n, 'the host object sees the write of wasm in ring 0');
  g.bits = 100n;
  assert.is(ge.get(), 100n, 'wasm sees the host\'s write');
  assert.throws(() => instantiateInKernel(readFileSync(join(dir, 'g.wasm')), { env: { g } }),
    (x: Error) => x instanceof KernelUnsupportedError && x.message.endsWith('imported mutable globals'), 'a second owner: not supported');
  ge.inc();
  gi.close();
  assert.is(g.bits, 101n, 'the last value stays on the host object after close');
});

test('an INVOKE rejected while a host call is pending leaves the pending call\'s results translated by its own signature', () => {
  // $r stops at import $h and then returns a funcref in rax; an INVOKE of $p with a bad funcref
  // argument is rejected in between. RESUME must still hand $r's result out as index + 1: under
  // $p's signature (an i32 in rax) the kernel would copy out the funcref record's address.
  const dir = mkdtempSync('/tmp/kwasm-kspec-');
  writeFileSync(join(dir, 'r.wat'), `(module (import "env" "h" (func $h))
    (elem declare func $r)
    (func $r (export "r") (result funcref) (call $h) (ref.func $r))
    (func $p (export "p") (param funcref) (result i32) (i32.const 7)))`);
  execFileSync('wat2wasm', [join(dir, 'r.wat'), '-o', join(dir, 'r.wasm')]);
  const inst = instantiateInKernel(readFileSync(join(dir, 'r.wasm')), { env: { h: (): void => undefined } });
  try {
    const d = inst.device;
    assert.is(d.invoke(0, [0n]).status, Status.hostCall, '$r (image function 0) stops at $h');
    assert.throws(() => d.invoke(1, [1000n]), /EINVAL/, 'a funcref argument that is no function index');
    const r = d.resume([], 1);
    assert.is(r.status, Status.returned);
    assert.is(r.retInt, 2n, '$r is function index 1: 1 + 1, not an address');
    assert.is(r.retFloat, 0n);
  } finally {
    inst.close();
  }
});

export default test;
