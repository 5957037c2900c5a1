// The compiler reads a function's local types from the validator's buffer, which is kept across
// functions and longer than the current function's locals (no array per function). What a
// larger earlier function left in the tail (here v128 locals) must not change how the next one
// is compiled: the same function compiles to the same bytes after it as alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { wat } from '../jit/wat.js';

const SMALL = `(func (param i32) (result i32) (local i32 i64)
  (local.set 1 (i32.add (local.get 0) (i32.const 1)))
  (local.set 2 (i64.extend_i32_u (local.get 1)))
  (i32.add (local.get 1) (i32.wrap_i64 (local.get 2))))`;
// Many locals, v128 ones among them: a v128 local makes a frame wide and the prologue zero its locals.
const BIG = `(func (local i32 i32 i32 i32 v128 v128 v128 v128 i64 i64 f64 f64 v128 i32 i32 i32 i32 i32 i32 i32))`;

function smallCode(text: string, index: number): number[] {
  const m = compileModule(wat(`(module ${text})`), { threads: 1 });
  const f = m.image.functions[index];
  return Array.from(m.image.code.subarray(f.offset, f.offset + f.size));
}

test('a function compiles to the same code after a larger one with v128 locals as alone', () => {
  const alone = smallCode(SMALL, 0);
  assert.ok(alone.length > 0);
  assert.equal(smallCode(`${BIG} ${SMALL}`, 1), alone);
  assert.equal(smallCode(`${BIG} ${SMALL} ${BIG}`, 1), alone);
});

test.run();
