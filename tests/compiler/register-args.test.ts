// The register-based wasm-to-wasm calling convention (abi/calling-convention.ts argRegister):
// argument slots 0..5 travel in rdi, rsi, rdx, rcx, r8, r9 (ints, refs) or xmm0..xmm5 (floats) by
// position, v128s and later slots in the stack slots. Shown on the disassembly (the caller writes
// no outgoing slot, the callee keeps each register parameter in its register and writes its home
// slot only where the lazy write-back needs it), then by round trips of many-argument mixed i32/i64/f32/f64/v128 signatures
// through every way in: direct calls, call_indirect, imports of another instance's function (and
// through its table), exports called from the host, and host imports called from wasm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { decode, initDisasm } from '../../backend-x64/disasm.js';
import { wat } from '../jit/wat.js';
import { Store } from '../../jit/instance/api.js';
import { funcInfoOf } from '../../jit/instance/store.js';
import { callRaw } from '../../jit/instance/loader.js';
import { inst, call } from './helpers.js';

function disasm(m: ReturnType<typeof compileModule>, f: number): string[] {
  const fn = m.image.functions[f - m.info.numImportedFuncs];
  return decode(m.image.code.subarray(fn.offset, fn.offset + fn.size)).map((i) => `${i.mnemonic} ${i.operands}`);
}

test('arguments travel in registers: no outgoing slot store at the call, no parameter reload in the callee', async () => {
  await initDisasm();
  const m = compileModule(wat(`(module
    (func $g (param i32 f64 i64) (result f64)
      local.get 0 f64.convert_i32_s local.get 1 f64.add local.get 2 f64.convert_i64_s f64.add)
    (func (export "f") (param i32) (result f64)
      local.get 0 i32.const 1 i32.add f64.const 2.5 i64.const 7 call $g))`));
  const caller = disasm(m, 1), callee = disasm(m, 0);
  const at = caller.findIndex((t) => t.startsWith('call '));
  const setup = caller.slice(0, at);
  assert.not.ok(setup.some((t) => /\[rsp( \+ 0x[0-9a-f]+)?\]/.test(t)), `no store to the argument area:\n${setup.join('\n')}`);
  assert.ok(setup.some((t) => /^mov (rdi|edi), /.test(t)), `slot 0 into rdi:\n${setup.join('\n')}`);
  assert.ok(setup.some((t) => /^movs[sd] xmm1, /.test(t)), `slot 1 (f64) into xmm1:\n${setup.join('\n')}`);
  assert.ok(setup.some((t) => /^mov (rdx|edx), /.test(t)), `slot 2 into rdx:\n${setup.join('\n')}`);
  // callee: a parameter is a dirty cached local from the start (lazy write-back): nothing here
  // needs its home slot ([rbp + 16 + 8*s]), so it is neither stored nor loaded
  assert.not.ok(callee.some((t) => /\[rbp \+ 0x(10|18|20)\]/.test(t)), `no home slot access:\n${callee.join('\n')}`);
  for (const src of ['(rdi|edi)', 'xmm1', '(rdx|edx)']) {
    const reads = new RegExp(`^[a-z0-9]+ [a-z0-9]+, ${src}$`);
    assert.ok(callee.some((t) => reads.test(t)), `the body reads ${src} itself:\n${callee.join('\n')}`);
  }
});

test('a parameter read again after a call is cached in its argument register again (loop edges agree)', async () => {
  await initDisasm();
  const src = `(module
    (func $id (param i32) (result i32) local.get 0)
    (func (export "sum") (param i32) (result i32) (local i32)
      (block $out (loop $l
        local.get 0 i32.eqz br_if $out
        local.get 0 call $id local.get 1 i32.add local.set 1
        local.get 0 i32.const -1 i32.add local.set 0 br $l))
      local.get 1))`;
  const text = disasm(compileModule(wat(src)), 1);
  const afterCall = text.slice(text.findIndex((t) => t.startsWith('call ')) + 1);
  const reload = afterCall.find((t) => t.endsWith('dword ptr [rbp + 0x10]'));
  assert.is(reload, 'mov edi, dword ptr [rbp + 0x10]', text.join('\n'));
  assert.is(text.filter((t) => t.endsWith('[rbp + 0x10]')).length, 1, `one reload, none at the back edge:\n${text.join('\n')}`);
  assert.is(call(inst(src), 'sum', 100), 5050);
});

test('the prologue saves r15 only in functions that restore it (cross-instance calls)', async () => {
  await initDisasm();
  const m = compileModule(wat(`(module
    (import "m" "f" (func $imp (param i32) (result i32)))
    (type $t (func (param i32) (result i32))) (table 1 funcref)
    (func $leaf (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    (func $direct (param i32) (result i32) local.get 0 call $leaf)
    (func $imported (param i32) (result i32) local.get 0 call $imp)
    (func $indirect (param i32) (result i32) local.get 0 i32.const 0 call_indirect (type $t)))`));
  const saves = (f: number): boolean => disasm(m, f).includes('mov qword ptr [rbp - 8], r15');
  assert.equal([1, 2, 3, 4].map(saves), [false, false, true, true]);
  assert.ok(disasm(m, 1).includes('nop dword ptr [rax]'), 'the save became a nop of its length');
});

test('an i32 result of a call through a funcref record (maybe a host function) is zero-extended', async () => {
  await initDisasm();
  // kwasm_resume returns slot 0 in rax as the host wrote it (in ring 0, user space answers)
  const m = compileModule(wat(`(module
    (import "h" "f" (func $imp (result i32)))
    (type $t (func (result i32))) (table 1 funcref)
    (func $own (result i32) i32.const 1)
    (func $direct (result i32) call $own)
    (func $imported (result i32) call $imp)
    (func $indirect (result i32) i32.const 0 call_indirect (type $t)))`));
  const zextAfterCall = (f: number): boolean => {
    const text = disasm(m, f);
    return text.slice(text.findIndex((t) => t.startsWith('call '))).includes('mov eax, eax');
  };
  assert.equal([2, 3, 4].map(zextAfterCall), [false, true, true]);
});

test('arguments whose registers are each other\'s sources (a parallel move with cycles)', () => {
  const i = inst(`(module
    (func $sub (param i32 i32 f64 f64) (result f64)
      local.get 0 local.get 1 i32.sub f64.convert_i32_s local.get 2 local.get 3 f64.sub f64.add)
    (func $swap (export "swap") (param i32 i32 f64 f64) (result f64)
      local.get 1 local.get 0 local.get 3 local.get 2 call $sub)
    (func $rot (export "rot") (param i32 i32 i32) (result i32)
      ;; rdi <- rsi, rsi <- rdx, rdx <- rdi: one three-cycle
      local.get 1 local.get 2 local.get 0 call $lin)
    (func $lin (param i32 i32 i32) (result i32)
      local.get 0 i32.const 100 i32.mul local.get 1 i32.const 10 i32.mul i32.add local.get 2 i32.add)
    (func (export "dup") (param i32) (result i32) local.get 0 local.get 0 local.get 0 call $lin))`);
  assert.is(call(i, 'swap', 10, 3, 0.5, 4), (3 - 10) + (4 - 0.5));
  assert.is(call(i, 'rot', 1, 2, 3), 231);
  assert.is(call(i, 'dup', 7), 777);
});

// i32 f64 v128 i64 f32 i32 f64 i64 v128 i32: slots 0,1 in registers, the v128 at 2-3 in slots,
// 4,5 in registers (xmm4, r9), the rest in slots.
const MIX = 'i32 f64 v128 i64 f32 i32 f64 i64 v128 i32';
const MIX_BODY = `
  local.get 0 f64.convert_i32_s
  local.get 1 f64.const 2 f64.mul f64.add
  local.get 2 i64x2.extract_lane 0 f64.convert_i64_s f64.const 3 f64.mul f64.add
  local.get 2 i64x2.extract_lane 1 f64.convert_i64_s f64.const 5 f64.mul f64.add
  local.get 3 f64.convert_i64_s f64.const 7 f64.mul f64.add
  local.get 4 f64.promote_f32 f64.const 11 f64.mul f64.add
  local.get 5 f64.convert_i32_s f64.const 13 f64.mul f64.add
  local.get 6 f64.const 17 f64.mul f64.add
  local.get 7 f64.convert_i64_s f64.const 19 f64.mul f64.add
  local.get 8 i64x2.extract_lane 0 f64.convert_i64_s f64.const 23 f64.mul f64.add
  local.get 8 i64x2.extract_lane 1 f64.convert_i64_s f64.const 29 f64.mul f64.add
  local.get 9 f64.convert_i32_s f64.const 31 f64.mul f64.add`;
/** The arguments as wasm pushes them, from an i32 `k`: distinct, exact in f64. */
const MIX_ARGS = `
  local.get 0 f64.const 0.5 i64.const 3 i64x2.splat i64.const -4 i64x2.replace_lane 1
  i64.const -5 f32.const 1.25 local.get 0 i32.const 6 i32.add f64.const -7.5 i64.const 8
  i64.const 9 i64x2.splat i64.const 10 i64x2.replace_lane 1 local.get 0 i32.const -11 i32.mul`;
const mixWant = (k: number): number =>
  k + 0.5 * 2 + 3 * 3 + -4 * 5 + -5 * 7 + 1.25 * 11 + (k + 6) * 13 + -7.5 * 17 + 8 * 19 + 9 * 23 + 10 * 29 + (-11 * k) * 31;

test('mixed i32/i64/f32/f64/v128 arguments: direct, call_indirect, and across instances (import and table)', () => {
  const store = new Store();
  const a = inst(`(module
    (type $mix (func (param ${MIX}) (result f64)))
    (table (export "tab") 1 funcref) (elem (i32.const 0) $mix)
    (func $mix (export "mix") (type $mix) ${MIX_BODY})
    (func (export "direct") (param i32) (result f64) ${MIX_ARGS} call $mix)
    (func (export "indirect") (param i32) (result f64) ${MIX_ARGS} i32.const 0 call_indirect (type $mix)))`, {}, store);
  const b = inst(`(module
    (type $mix (func (param ${MIX}) (result f64)))
    (import "a" "mix" (func $mix (type $mix)))
    (import "a" "tab" (table 1 funcref))
    (func (export "imported") (param i32) (result f64) ${MIX_ARGS} call $mix)
    (func (export "viaTable") (param i32) (result f64) ${MIX_ARGS} i32.const 0 call_indirect (type $mix)))`,
  { a: { mix: a.exports.mix, tab: a.exports.tab } }, store);
  for (const k of [0, 1, -3, 1000]) {
    assert.is(call(a, 'direct', k), mixWant(k), `direct ${k}`);
    assert.is(call(a, 'indirect', k), mixWant(k), `indirect ${k}`);
    assert.is(call(b, 'imported', k), mixWant(k), `imported ${k}`);
    assert.is(call(b, 'viaTable', k), mixWant(k), `table of another instance ${k}`);
  }
});

// Ten parameters without v128 (the JS API has no v128 values): six in registers, four in slots.
const TEN = 'i32 f64 i64 f32 i32 f64 i64 f32 i32 f64';
const tenArgs = [3, -1.5, 5n, 0.25, -7, 1e10, -9n, 2.5, 11, 0.125] as const;
const tenSum = (v: readonly unknown[]): number => v.reduce<number>((s, x, k) => s + Number(x) * (k + 1), 0);
const TEN_BODY = Array.from({ length: 10 }, (_, k) => `local.get ${k} ${['', 'f64.convert_i32_s', 'f64.convert_i64_s', 'f64.promote_f32'][[1, 0, 2, 3][k % 4]]} f64.const ${k + 1} f64.mul ${k > 0 ? 'f64.add' : ''}`).join('\n');

const GETS = Array.from({ length: 10 }, (_, k) => `local.get ${k}`).join(' ');

test('exports called from the host, and host imports called from wasm, with register arguments', () => {
  let seen: unknown[] = [];
  const i = inst(`(module
    (import "h" "ten" (func $h (param ${TEN}) (result f64)))
    (func $ten (export "ten") (param ${TEN}) (result f64) ${TEN_BODY})
    (func (export "toHost") (param ${TEN}) (result f64)
      ${GETS} call $h)
    (func (export "both") (param ${TEN}) (result f64)
      ${GETS} call $ten ${GETS} call $h f64.sub))`,
  { h: { ten: (...args: unknown[]) => { seen = args; return tenSum(args); } } });
  const want = tenSum(tenArgs as unknown as unknown[]);
  assert.is(call(i, 'ten', ...tenArgs), want, 'export from the host');
  assert.is(call(i, 'toHost', ...tenArgs), want, 'host import from wasm');
  assert.equal(seen, [...tenArgs], 'the host saw every argument (register ones stored to their slots by the thunk)');
  assert.is(call(i, 'both', ...tenArgs), 0, 'wasm callee and host callee agree');
});

test('an i32 register parameter from the entry trampoline is zero-extended (it may be a memory index)', () => {
  // kwasm_enter loads all 64 bits of an entry slot (in ring 0 user space writes them): the callee
  // must not use the upper half, or [r14 + index] would reach past the memory.
  const store = new Store();
  const i = inst(`(module (memory 1) (data (i32.const 16) "\\2a")
    (func (export "ld") (param i32) (result i32) local.get 0 i32.load8_u))`, {}, store);
  const info = funcInfoOf(i.exports.ld)!;
  assert.equal(callRaw(store, info, [0x1_0000_0010n]), [42n]);
  assert.equal(callRaw(store, info, [0xffff_ffff_0000_0010n]), [42n]);
});

test.run();
