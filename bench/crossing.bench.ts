// Cost of crossing between JS and compiled code through the runtime (jit/runtime):
//   - one JS -> wasm call (ExecContext.call: arguments onto the top of the wasm stack, kwasm_enter, results read there),
//   - one wasm -> host round trip (host-call stub exit, JS answers, kwasm_resume),
//   - one trap (fault -> signal handler -> landing pad -> Trap exception).
// Baselines in the same run: a bare ffi-rs call to libc getpid (the floor of any crossing) and
// the bare kwasm_enter call without ExecContext's marshalling.
//
// Run: npx tsc -p . && node dist/bench/crossing.bench.js
import { open, define, DataType } from 'ffi-rs';
import { AluOp, Cond, mem, memIdx, rax, rcx, rsp, r14 } from '../backend-x64/index.js';
import { native } from '../jit/runtime/index.js';
import { ExecContext } from '../tests/runtime/exec-context.js';
import { assemble, param, vm as vmField } from '../tests/runtime/asm-helpers.js';

// The routines are hand-assembled with the runtime tests' helper (ABI frame around each body).
const code = assemble([
  // 0: (i32, i32) -> i32 add
  (a) => { a.movRM(32, rax, param(0)); a.aluRM(AluOp.ADD, 32, rax, param(1)); },
  // 1: call import 0 (i32) -> i32 p0 times
  (a) => {
    const top = a.newLabel(), done = a.newLabel();
    a.aluRI(AluOp.SUB, 64, rsp, 16);
    a.movMI(64, mem(rsp, 8), 0);
    a.bind(top);
    a.movRM(32, rax, mem(rsp, 8)); a.aluRM(AluOp.CMP, 32, rax, param(0)); a.jcc(Cond.GE, done);
    a.movMR(64, mem(rsp, 0), rax);
    a.movRI(32, rax, 0); a.movRI(32, rcx, 1); a.callM(vmField('hostCallStub'));
    a.aluMI(AluOp.ADD, 32, mem(rsp, 8), 1);
    a.jmp(top);
    a.bind(done);
  },
  // 2: out-of-bounds load
  (a) => { a.movRI(32, rcx, 0x20000); a.movRM(32, rax, memIdx(r14, rcx, 1, 0)); },
]);

let sink = 0;
const ctx = new ExecContext({
  memory: { initial: 1 },
  hostFunctions: [{ type: { params: ['i32'], results: ['i32'] }, fn: (x) => { sink += x as number; return x; } }],
});

open({ library: 'libc', path: '' });
const libc = define({ getpid: { library: 'libc', retType: DataType.I32, paramsType: [] } });

function time(label: string, n: number, body: (i: number) => void): [string, number] {
  for (let i = 0; i < Math.min(2000, n); i++) body(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  return [label, ns];
}

const N = 20000;
const add = code.functionAddress(0), loop = code.functionAddress(1), oob = code.functionAddress(2);
const t = { params: ['i32', 'i32'], results: ['i32'] } as const;
const rows: [string, number][] = [];
rows.push(time('ffi-rs call to libc getpid (baseline)', N, () => { sink += libc.getpid([]); }));
ctx.call(add, t, [1, 2]); // primes vmctx.entryFunc/argCount for the bare enter below
const n = native(), vm = ctx.vmctx.addr;
rows.push(time('bare kwasm_enter (no marshalling)', N, () => { sink += n.enter(vm); }));
rows.push(time('JS -> wasm call, (i32, i32) -> i32', N, (i) => { sink += ctx.call(add, t, [i, 1])[0] as number; }));
const one = time('', N / 4, () => { ctx.call(loop, { params: ['i32'], results: [] }, [0]); })[1];
const many = time('', 20, () => { ctx.call(loop, { params: ['i32'], results: [] }, [1000]); })[1];
rows.push(['wasm -> host -> wasm round trip (i32) -> i32', (many - one) / 1000]);
rows.push(time('trap (out-of-bounds load) caught as Trap', N / 4, () => { try { ctx.call(oob, { params: [], results: ['i32'] }, []); } catch { sink++; } }));

console.log('### Runtime crossings\n');
console.log('| crossing | µs each |');
console.log('|---|---:|');
for (const [label, ns] of rows) console.log(`| ${label} | ${(ns / 1000).toFixed(2)} |`);
console.log(`\n(${N} iterations; the host round trip is measured as 1000 host calls per entry minus an entry without host calls.)`);
if (sink === 0.5) console.log('');
code.dispose();
ctx.dispose();
