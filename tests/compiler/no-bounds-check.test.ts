// The guard-page design: a compiled i32.load is a single `mov` from [r14 + index (+ offset)],
// with no compare or branch on the index. Proven on the disassembly of the function.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { decode, initDisasm } from '../../backend-x64/disasm.js';
import { wat } from '../jit/wat.js';

test('i32.load compiles to one mov from r14 + index, with no bounds check', async () => {
  await initDisasm();
  const m = compileModule(wat(`(module (memory 1)
    (func (export "load") (param i32) (result i32) local.get 0 i32.load offset=16))`));
  const f = m.image.functions[0];
  const insns = decode(m.image.code.subarray(f.offset, f.offset + f.size));
  const text = insns.map((i) => `${i.mnemonic} ${i.operands}`);
  const loads = text.filter((t) => t.includes('[r14'));
  assert.is(loads.length, 1, text.join('\n'));
  const load = /^mov (e[a-z0-9]+|r\d+d), dword ptr \[r14 \+ (r[a-z0-9]+) \+ 0x10\]$/.exec(loads[0]);
  assert.ok(load, loads[0]);
  const index32 = load![2].replace(/^r(..)$/, 'e$1').replace(/^(r\d+)$/, '$1d');
  // The parameter arrives in a register (abi argRegister) and is zero-extended (the entry
  // trampoline loads 64 bits of a host-written slot); nothing needs its home slot (written back
  // lazily); then nothing but the load (no cmp/jcc on the index).
  const at = text.indexOf(loads[0]);
  const zext = `mov ${index32}, ${index32}`;
  // (the prologue ends with the r15 save, a nop here: the function makes no cross-instance call)
  const body = text.slice(text.findIndex((t) => t === 'nop dword ptr [rax]') + 1, at + 1);
  assert.equal(body, [zext, loads[0]], 'the body is the parameter\'s zero extension and the load');
  assert.not.ok(text.some((t) => /^cmp .*(eax|rax)/.test(t)), 'no compare involving the index');
});

test.run();
