// The instance plan (jit/instance/plan.ts), the engine-neutral part of instantiation that the
// user-space and the kernel loader both apply: canonical type ids, constant expressions, element
// items, the segments' actions in the spec's order, and the link checks both loaders share.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeModule } from '../../jit/frontend/decoder.js';
import { applyActions, planInstance, TypeIds, type ConstEnv } from '../../jit/instance/plan.js';
import { compile, instantiate, Store } from '../../jit/instance/api.js';
import { instantiateInKernel } from '../../kernel-loader/loader.js';
import { LinkError, RuntimeError } from '../../jit/errors.js';
import { wat } from './wat.js';

const env: ConstEnv = { funcRef: (f) => 0x1000n + BigInt(f), importedGlobal: (g) => 100n + BigInt(g) };

test('type ids are structural and shared by the modules of one TypeIds', () => {
  const a = decodeModule(wat('(module (type (func (param i32) (result i64))) (type (func)) (type (func (param i32) (result i64))))'));
  const b = decodeModule(wat('(module (type (func)) (type (func (param i32) (result i64))))'));
  const ids = new TypeIds();
  const ia = ids.of(a), ib = ids.of(b);
  assert.equal(ia, [1, 2, 1]);
  assert.equal(ib, [2, 1]);
  assert.equal(new TypeIds().of(b), [1, 2], 'a fresh TypeIds numbers from 1');
});

test('globals, element items and the active segments in the spec order', () => {
  const m = decodeModule(wat(`(module
    (import "h" "g" (global i32))
    (table 4 funcref) (memory 1)
    (func $a) (func $b)
    (global i32 (i32.const -1))
    (global f64 (f64.const 1.5))
    (global i32 (global.get 0))
    (global funcref (ref.func $b))
    (data (i32.const 7) "xy")
    (elem (i32.const 1) func $b $a)
    (elem func $a)
    (data "p")
    (elem (global.get 0) funcref (ref.null func) (ref.func $b))
    (elem declare func $b))`));
  const plan = planInstance(m, new TypeIds().of(m), env);
  assert.equal(plan.globals, [0xffffffffn, 0x3ff8000000000000n, 100n, 0x1001n]); // $a is function 0, $b 1
  assert.equal(plan.elemItems, [[0x1001n, 0x1000n], [0x1000n], [0n, 0x1001n], [0x1001n]]);
  // every active element segment before any data segment, each kind in module order
  assert.equal(plan.elemActions, [{ segment: 0, table: 0, offset: 1 }, { segment: 2, table: 0, offset: 100 }]);
  assert.equal(plan.dataActions, [{ segment: 0, offset: 7 }]);
});

test('applyActions: the first failing action traps, the ones before it stay applied, none after it runs', () => {
  const done: number[] = [];
  assert.throws(() => applyActions([1, 2, 3], (a) => { if (a === 2) return 2; done.push(a); return 0; }),
    (e: unknown) => e instanceof RuntimeError);
  assert.equal(done, [1]);
});

test('both loaders, one segment rule: an element segment out of bounds traps in user space and before the kernel opens its device', () => {
  const bytes = wat('(module (table 2 funcref) (func $f) (elem (i32.const 1) func $f $f))');
  const store = new Store();
  try {
    assert.throws(() => instantiate(compile(bytes), {}, store), (e: unknown) => e instanceof RuntimeError && /out of bounds table access/.test((e as Error).message));
  } finally {
    store.dispose();
  }
  assert.throws(() => instantiateInKernel(bytes, {}, { device: '/nonexistent/kwasm' }),
    (e: unknown) => e instanceof RuntimeError && /out of bounds table access/.test((e as Error).message));
});

test('both loaders, one link check: a value that is not a global, imported as a global, is an incompatible import', () => {
  const bytes = wat('(module (import "h" "g" (global i32)))');
  const imports = { h: { g: (): number => 1 } };
  const incompatible = (e: unknown): boolean => e instanceof LinkError && /^incompatible import type for h\.g$/.test((e as Error).message);
  const store = new Store();
  try {
    assert.throws(() => instantiate(compile(bytes), imports, store), incompatible);
  } finally {
    store.dispose();
  }
  assert.throws(() => instantiateInKernel(bytes, imports, { device: '/nonexistent/kwasm' }), incompatible);
});

test.run();
