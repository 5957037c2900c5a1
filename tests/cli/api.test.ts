// The embedding API's error surface the CLI relies on: wasm stack exhaustion is a RangeError (as
// in V8's JS API) that comes from our stack-limit check, not V8's JS stack, and carries the Trap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, instantiate, RuntimeError, Trap, type Memory } from '../../jit/index.js';
import { wat } from '../jit/wat.js';

const m = compile(wat(`(module (memory (export "memory") 1)
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "oob") (result i32) (i32.load (i32.const -4))))`));

test('runaway recursion: RangeError "call stack exhausted" with .trap (kind stackOverflow), then the instance still works', () => {
  const { down } = instantiate(m).exports as { down: (n: number) => number };
  let err: unknown;
  try { down(2_000_000_000); } catch (e) { err = e; }
  assert.instance(err, RangeError);
  assert.is((err as Error).message, 'call stack exhausted'); // V8's own would say "Maximum call stack size exceeded"
  const trap = (err as { trap?: Trap }).trap;
  assert.instance(trap, Trap);
  assert.is(trap?.kind, 'stackOverflow');
  assert.is(down(1000), 1000);
});

test('other traps: RuntimeError with .trap; memory views through exports', () => {
  const inst = instantiate(m);
  let err: unknown;
  try { (inst.exports.oob as () => number)(); } catch (e) { err = e; }
  assert.instance(err, RuntimeError);
  assert.is((err as { trap?: Trap }).trap?.kind, 'memoryOutOfBounds');
  assert.is(new Uint8Array((inst.exports.memory as Memory).buffer).length, 65536);
});

test.run();
