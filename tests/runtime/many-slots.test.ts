// Issue #12.1: signatures with more slots than the old 64-slot vmctx areas. Every slot area now
// lives on the wasm stack (jit/runtime/slots.ts), so exports and host imports with 64, 65, 72,
// 100 and 1,000 parameters or results work, and nothing outside the call's own slots changes:
// the vmctx trailing area (funcref records, type ids, table descriptors) is compared byte for
// byte, and a call_indirect afterwards still lands where the table says. The original PoC
// (a host call with 72 slots overwriting a funcref record, then call_indirect into libc exit)
// runs in a child process, which must finish normally.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile, instantiate, Store, type Instance } from '../../jit/instance/api.js';
import { ExecContext } from './exec-context.js';
import { assemble } from './asm-helpers.js';
import { wat } from '../jit/wat.js';
import { SLOT_COUNTS, argOf, resultOf, weighted, manySlotsWat, manySlotsImports } from './many-slots.js';

type Fn = (...a: unknown[]) => unknown;
const fn = (i: Instance, name: string): Fn => i.exports[name] as Fn;
const trailing = (i: Instance): Buffer => Buffer.from(i.vmctx.buf.subarray(i.vmctx.extraOffset));

for (const n of SLOT_COUNTS) {
  test(`${n} parameters and results: exports and host imports work, nothing else changes`, () => {
    const store = new Store();
    try {
      const seen: { args?: bigint[] } = {};
      const inst = instantiate(compile(wat(manySlotsWat(n))), manySlotsImports(n, seen), store);
      const before = trailing(inst);
      const args = Array.from({ length: n }, (_, i) => argOf(i));
      assert.is(fn(inst, 'params')(...args), weighted(n, argOf));
      assert.equal(fn(inst, 'results')(), Array.from({ length: n }, (_, i) => resultOf(i)));
      assert.is(fn(inst, 'callParams')(), 77n);
      assert.equal(seen.args, args);
      assert.is(fn(inst, 'callResults')(), weighted(n, resultOf));
      assert.ok(trailing(inst).equals(before), 'funcref records, type ids and table descriptors unchanged');
      assert.is(fn(inst, 'ind')(0, 10), 11);
      assert.is(fn(inst, 'ind')(1, 10), 20);
    } finally {
      store.dispose();
    }
  });
}

test('3,000 host-call parameters: served in place, the process goes on', () => {
  const store = new Store();
  try {
    const seen: { args?: bigint[] } = {};
    const inst = instantiate(compile(wat(manySlotsWat(3000, { exports: false, results: false }))), manySlotsImports(3000, seen), store);
    assert.is(fn(inst, 'callParams')(), 77n);
    assert.is(seen.args?.length, 3000);
    assert.is(seen.args?.[2999], argOf(2999));
    assert.is(fn(inst, 'ind')(1, 21), 42);
  } finally {
    store.dispose();
  }
});

test('entry slots that do not fit on the wasm stack are refused before anything is written', () => {
  // a 64 KiB stack (its 32 KiB margin leaves 32 KiB) cannot hold 8,000 slots: a clean RangeError
  const ctx = new ExecContext({ stackSize: 64 * 1024 });
  const code = assemble([() => { /* returns at once */ }]);
  try {
    const params = Array(8000).fill('i64') as 'i64'[];
    assert.throws(() => ctx.call(code.functionAddress(0), { params, results: [] }, params.map(() => 1n)), /do not fit on the wasm stack/);
    // the context still works
    assert.equal(ctx.call(code.functionAddress(0), { params: [], results: [] }, []), []);
  } finally {
    code.dispose();
    ctx.dispose();
  }
});

// The PoC of issue #12 (shared/bugs/hostcall-overflow.wat): a host call with 72 i64 slots whose
// slots 64..71 used to land on funcref record 1 ({code, vmctx, typeId}); the next call_indirect
// then jumped to a module-chosen address (node's exit@plt where it was found: exit 77).
const POC_WAT = `(module
  (type $big (func (param ${Array(72).fill('i64').join(' ')})))
  (type $v5 (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "f" (func $f (type $big)))
  (table 1 funcref) (elem (i32.const 0) $victim)
  (func $victim (type $v5) (i32.const 42))
  (func (export "callit") (param $a i32) (result i32)
    (call_indirect (type $v5) (local.get $a) (local.get $a) (local.get $a) (local.get $a) (local.get $a) (i32.const 0)))
  (func (export "attack") (param $code i64) (param $vmctx i64) (param $tid i64)
    (call $f ${Array.from({ length: 68 }, (_, i) => `(i64.const ${0x1111111111111100n + BigInt(i)})`).join(' ')}
      (local.get $code) (local.get $vmctx) (local.get $tid) (i64.const 0))))`;

test('the hostcall-overflow PoC is harmless: the child process finishes, call_indirect still reaches its target', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-poc-'));
  try {
    writeFileSync(join(dir, 'poc.wasm'), wat(POC_WAT));
    const api = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../jit/instance/api.js')).href;
    const script = `
      import { readFileSync } from 'node:fs';
      const { compile, instantiate, Store } = await import(${JSON.stringify(api)});
      const inst = instantiate(compile(readFileSync(${JSON.stringify(join(dir, 'poc.wasm'))})), { env: { f: () => {} } }, new Store());
      console.log('before', inst.exports.callit(0));
      inst.exports.attack(0xb70720n, 0x400000n, 2n);
      console.log('after', inst.exports.callit(72));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.signal, null, `child died of ${r.signal}: ${r.stderr}`);
    assert.is(r.status, 0, `child exited ${r.status}: ${r.stderr}`);
    assert.is(r.stdout.trim(), 'before 42\nafter 42');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
