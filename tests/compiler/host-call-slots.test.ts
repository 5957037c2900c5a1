// Host calls hand the host max(params, results) slots of the caller's argument area. Slots past
// the parameters would otherwise carry whatever the frame held before (older outgoing arguments,
// funcref record addresses, return addresses); in kernel mode those slots are copied out to user
// space, so they must be this call's zeros, never stale kernel data. Proven on the disassembly of
// the import thunks (every runtime builtin call has at least one parameter, so its slot 0 is one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { decode, initDisasm } from '../../backend-x64/disasm.js';
import { wat } from '../jit/wat.js';

function thunkText(m: ReturnType<typeof compileModule>, f: number): string[] {
  const start = m.funcOffsets[f];
  return decode(m.image.code.subarray(start, start + 64)).map((i) => `${i.mnemonic} ${i.operands}`);
}

test('import thunks zero every result slot past the parameters before the host-call stub', async () => {
  await initDisasm();
  const m = compileModule(wat(`(module
    (import "h" "r3" (func (param i32) (result i32 i64 f64)))
    (import "h" "r1" (func (result i32)))
    (import "h" "p2" (func (param i32 i32) (result i32)))
    (func (export "f") (result i32) i32.const 0 call 0 drop drop drop call 1 i32.const 1 i32.const 2 call 2 i32.add))`));
  const upToStub = (t: string[]): string[] => t.slice(0, t.findIndex((s) => s.startsWith('jmp')) + 1);
  const r3 = upToStub(thunkText(m, 0));
  assert.ok(r3.includes('mov qword ptr [rsp + 0x10], 0') && r3.includes('mov qword ptr [rsp + 0x18], 0'), r3.join('\n'));
  assert.not.ok(r3.includes('mov qword ptr [rsp + 8], 0'), 'the parameter slot is the argument, not zeroed');
  assert.ok(upToStub(thunkText(m, 1)).includes('mov qword ptr [rsp + 8], 0'), 'a result-only slot 0 is zeroed');
  const p2 = upToStub(thunkText(m, 2));
  assert.not.ok(p2.some((s) => s.startsWith('mov qword ptr [rsp') && s.endsWith(', 0')), 'no result-only slots: nothing zeroed');
  // the register parameters (abi argRegister: slot 0 rdi, slot 1 rsi) go to their home slots
  assert.ok(p2.includes('mov qword ptr [rsp + 8], rdi') && p2.includes('mov qword ptr [rsp + 0x10], rsi'), p2.join('\n'));
});

test.run();
