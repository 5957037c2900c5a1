// Function objects of an instance are made on first use (jit/instance/loader.ts `func`), not one
// per function at instantiation: what reaches JS must still be one object per function, the same
// whichever way it arrives (export, table, global, start), and callable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, instantiate, Store, type Table, type Global } from '../../jit/index.js';
import { wat } from './wat.js';

const m = compile(wat(`(module
  (import "env" "seven" (func $seven (result i32)))
  (func $a (result i32) (i32.const 1))
  (func $b (export "b") (result i32) (i32.const 2))
  (func $c (result i32) (i32.add (call $seven) (i32.const 3)))
  (table (export "t") 4 funcref)
  (elem (i32.const 0) $a $b $c $seven)
  (global (export "g") funcref (ref.func $c)))`));

test('a function that is not exported reaches JS through a table or a global: one object, callable', () => {
  const store = new Store();
  const seven = (): number => 7;
  const { b, t, g } = instantiate(m, { env: { seven } }, store).exports as { b: () => number; t: Table; g: Global };
  const a = t.get(0) as () => number;
  assert.is(typeof a, 'function');
  assert.is(a(), 1);
  assert.is(t.get(0), a, 'the same object the second time');
  assert.is(t.get(1), b, 'the table entry of an export is the export');
  const c = g.value as () => number;
  assert.is(c(), 10, 'an own function calling a JS import');
  assert.is(t.get(2), c, 'the global and the table name one object');
  const viaTable = t.get(3) as () => number;
  assert.is(viaTable(), 7, 'a JS import in the table calls the import');
  store.dispose();
});

test('an imported wasm function stays the exporter\'s object in the importer\'s table', () => {
  const store = new Store();
  const exporter = instantiate(m, { env: { seven: () => 7 } }, store);
  const b = exporter.exports.b as () => number;
  const importer = instantiate(m, { env: { seven: b } }, store);
  assert.is((importer.exports.t as Table).get(3), b);
  assert.is(((importer.exports.g as Global).value as () => number)(), 5, '$c calls the imported $b');
  store.dispose();
});

test.run();
