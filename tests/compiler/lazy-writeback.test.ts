// Locals cached in registers are written back to their frame slots lazily (invariants in
// jit/compiler/local-cache.ts): a hot loop stores no local, and every place that needs the frame
// value gets it: loop exits (br_if out of a loop, br_table), joins (if without else, else arms),
// calls and host calls (the callee clobbers every register), runtime calls (memory.grow),
// eviction under register pressure, and multi-value returns that overwrite parameter slots.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileModule } from '../../jit/compiler/module-compiler.js';
import { decode, initDisasm } from '../../backend-x64/disasm.js';
import { wat } from '../jit/wat.js';
import { inst, call } from './helpers.js';

const COUNT = `(module
    (func (export "sum") (param i32) (result i32) (local i32 i32)
      i32.const 0 local.set 1       ;; counters start as constants before their loop: cached
      local.get 0 local.set 2
      loop
        local.get 1 local.get 2 i32.add local.set 1
        local.get 2 i32.const 1 i32.sub local.tee 2
        br_if 0
      end
      local.get 1))`;

test('a counting loop keeps its locals in registers: no store to the frame at all', async () => {
  await initDisasm();
  const m = compileModule(wat(COUNT));
  const f = m.image.functions[0];
  const text = decode(m.image.code.subarray(f.offset, f.offset + f.size)).map((i) => `${i.mnemonic} ${i.operands}`);
  // From the loop header's interrupt check on (the prologue zeroes the declared locals and stores
  // the register parameter to its home slot once, abi argRegister): a write-through local.set
  // would add dword stores to the frame in the loop.
  const header = text.findIndex((t) => /^cmp rsp, qword ptr \[r15/.test(t));
  assert.ok(header > 0, text.join('\n'));
  const stores = text.slice(header).filter((t) => /^mov dword ptr \[rbp [+-]/.test(t));
  assert.equal(stores, [], text.join('\n'));
  const i = inst(COUNT);
  assert.is(call(i, 'sum', 100), 5050);
});

test('loop exits (br_if out, br_table) and an if without else see the values set in the loop', () => {
  const i = inst(`(module
    (func (export "exit") (param i32) (result i32) (local i32 i32)
      block $out
        loop $l
          local.get 1 i32.const 3 i32.add local.set 1      ;; dirty in the loop
          local.get 2 local.get 1 i32.xor local.set 2
          local.get 1 local.get 0 i32.ge_u br_if $out      ;; exit with both dirty
          br $l
        end
      end
      local.get 1 i32.const 1000 i32.mul local.get 2 i32.add)
    (func (export "table") (param i32) (result i32) (local i32)
      block $a
        block $b
          i32.const 5 local.set 1
          local.get 1 local.get 0 i32.add local.set 1
          local.get 0 br_table $a $b
        end
        local.get 1 i32.const 100 i32.add local.set 1
      end
      local.get 1)
    (func (export "noelse") (param i32) (result i32) (local i32)
      local.get 0 i32.const 7 i32.mul local.set 1          ;; dirty at the if's jcc
      local.get 0 i32.const 1 i32.and if
        local.get 1 i32.const 1 i32.add local.set 1
      end
      local.get 1))`);
  const exit = (n: number): number => {
    let a = 0, b = 0;
    for (;;) { a += 3; b ^= a; if (a >= n) break; }
    return (a * 1000 + b) | 0;
  };
  for (const n of [1, 10, 301]) assert.is(call(i, 'exit', n), exit(n), `exit(${n})`);
  assert.is(call(i, 'table', 0), 5);
  assert.is(call(i, 'table', 1), 106);
  assert.is(call(i, 'table', 9), 114);
  assert.is(call(i, 'noelse', 4), 28);
  assert.is(call(i, 'noelse', 5), 36);
});

test('dirty locals survive calls, host calls and memory.grow inside a loop', () => {
  let hostSeen = 0;
  const i = inst(`(module
    (import "env" "host" (func $host (param i32) (result i32)))
    (memory 1 100)
    (func $clobber (param i32) (result i32) (local i32 i32 i32)
      i32.const 1 local.set 1 i32.const 2 local.set 2 i32.const 3 local.set 3
      local.get 0 local.get 1 i32.add local.get 2 i32.add local.get 3 i32.add)
    (func (export "f") (param i32) (result i32) (local i32 i32 i32)
      loop
        local.get 1 local.get 0 i32.add local.set 1
        local.get 2 i32.const 2 i32.add local.set 2
        local.get 1 call $clobber drop
        local.get 3 local.get 2 i32.add local.set 3
        local.get 1 call $host local.get 3 i32.add local.set 3
        i32.const 0 memory.grow drop
        local.get 0 i32.const 1 i32.sub local.tee 0
        br_if 0
      end
      local.get 1 local.get 2 i32.add local.get 3 i32.add))`,
  { env: { host: (x: number): number => { hostSeen = x; return x & 7; } } });
  const ref = (n: number): number => {
    let l1 = 0, l2 = 0, l3 = 0;
    while (n !== 0) { l1 += n; l2 += 2; l3 += l2; l3 += l1 & 7; n--; }
    return (l1 + l2 + l3) | 0;
  };
  assert.is(call(i, 'f', 12), ref(12));
  assert.is(hostSeen, 78);
});

test('eviction under pressure writes dirty locals back before reusing their registers', () => {
  const n = 30; // more than the 11 allocatable GPRs
  const decl = Array(n).fill('i32').join(' ');
  // locals 2..n+1 (0 is x, 1 the counter)
  const body = Array.from({ length: n }, (_, k) => `local.get ${k + 2} local.get 0 i32.add i32.const ${k} i32.add local.set ${k + 2}`).join('\n');
  const sum = Array.from({ length: n }, (_, k) => `local.get ${k + 2}`).join(' ') + ' ' + Array(n - 1).fill('i32.add').join(' ');
  const i = inst(`(module (func (export "f") (param i32 i32) (result i32) (local ${decl})
    loop
      ${body}
      local.get 1 i32.const 1 i32.sub local.tee 1 br_if 0
    end
    ${sum}))`);
  const ref = (x: number, iters: number): number => {
    const l = new Array<number>(n).fill(0);
    for (let it = 0; it < iters; it++) for (let k = 0; k < n; k++) l[k] = (l[k] + x + k) | 0;
    return l.reduce((s, v) => (s + v) | 0, 0);
  };
  assert.is(call(i, 'f', 5, 4), ref(5, 4));
});

test('back edges move loop-carried locals into their header registers, cycles included', async () => {
  const text = `(module
    (func (export "fib") (param i32) (result i64) (local i64 i64 i64)
      i64.const 0 local.set 1 i64.const 1 local.set 2
      loop
        local.get 2 local.get 1 local.get 2 i64.add local.set 2 local.set 1   ;; (a, b) = (b, a + b)
        local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0
      end
      local.get 1)
    (func (export "rot") (param i32) (result f64) (local f64 f64 f64)
      f64.const 1 local.set 1 f64.const 2 local.set 2 f64.const 3 local.set 3
      loop
        local.get 1 local.get 2 local.get 3 local.set 1 local.set 3 local.set 2  ;; rotate three
        local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0
      end
      local.get 1 f64.const 100 f64.mul local.get 2 f64.const 10 f64.mul f64.add local.get 3 f64.add))`;
  const i = inst(text);
  assert.is(call(i, 'fib', 90), 2880067194370816120n);
  // rotate (1,2,3) -> (3,1,2) per iteration
  assert.is(call(i, 'rot', 1), 312);
  assert.is(call(i, 'rot', 2), 231);
  assert.is(call(i, 'rot', 3), 123);
  await initDisasm();
  const m = compileModule(wat(text));
  for (const f of m.image.functions) {
    const all = decode(m.image.code.subarray(f.offset, f.offset + f.size)).map((x) => `${x.mnemonic} ${x.operands}`);
    // From the loop header on (its stack check), nothing goes to the frame but the counter
    // (parameter 0 at [rbp + 0x10], read in the loop first, so not cached at the header).
    const loop = all.slice(all.findIndex((t) => t.startsWith('cmp rsp, qword ptr [r15')));
    const stores = loop.filter((t) => /^mov(sd)? (dword|qword) ptr \[rbp [+-] 0x\w+\], /.test(t) && !t.includes('[rbp + 0x10]'));
    assert.equal(stores, [], all.join('\n'));
  }
});

test('multi-value return of parameters that were set (results overwrite the parameter slots)', () => {
  const i = inst(`(module (func (export "f") (param i32 i32 i32) (result i32 i32 i32)
    local.get 0 i32.const 1 i32.add local.set 0
    local.get 2 local.set 1
    local.get 0 i32.const 10 i32.mul local.set 2
    local.get 2 local.get 1 local.get 0))`);
  assert.equal(call(i, 'f', 4, 5, 6), [50, 6, 5]);
});

test('a call writes dirty locals back before its argument registers are loaded (one may cache a local)', () => {
  // Six arguments fill rdi, rsi, rdx, rcx, r8, r9 (abi argRegister); the locals set just before
  // are dirty in registers, some of them argument registers. Writing them back after the
  // argument moves stored arguments into locals (2009927 instead of 2040147 for p = 1).
  const i = inst(`(module
    (func $f6 (param i32 i32 i32 i32 i32 i32) (result i32)
      (i32.add (local.get 5) (i32.mul (local.get 0) (i32.const 3))))
    (func (export "t") (param $p i32) (result i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $g i32) (local $r i32)
      (local.set $a (i32.add (local.get $p) (i32.const 1)))
      (local.set $b (i32.mul (local.get $a) (i32.const 2)))
      (local.set $c (i32.xor (local.get $b) (i32.const 5)))
      (local.set $d (i32.sub (local.get $c) (local.get $a)))
      (local.set $e (i32.or (local.get $d) (i32.const 64)))
      (local.set $g (i32.add (local.get $e) (local.get $b)))
      (local.set $r (call $f6 (local.get $g) (local.get $e) (local.get $d) (local.get $c) (local.get $b) (local.get $a)))
      (i32.add (local.get $r) (i32.add (i32.mul (local.get $a) (i32.const 1000003)) (i32.add (i32.mul (local.get $b) (i32.const 10007))
        (i32.add (i32.mul (local.get $c) (i32.const 101)) (i32.add (i32.mul (local.get $d) (i32.const 7))
          (i32.add (local.get $e) (i32.mul (local.get $g) (i32.const 3))))))))))`);
  const expected = (p: number): number => {
    const a = p + 1, b = a * 2, c = b ^ 5, d = c - a, e = d | 64, g = e + b, r = a + g * 3;
    return (r + a * 1000003 + b * 10007 + c * 101 + d * 7 + e + g * 3) | 0;
  };
  for (const p of [1, 17, 1234]) assert.is(call(i, 't', p), expected(p), `p = ${p}`);
});

test.run();
