// Assembler throughput: instructions per second for a JIT-like mix (loads and
// stores off the pinned memory base, ALU with registers and immediates,
// compares and branches to labels, setcc/movzx, shifts, SSE with pooled
// constants, runtime calls through the vmctx), emitted as many small
// functions with one reused Assembler, the way the single-pass compiler will.
// Baseline in the same run: keystone assembling the equivalent Intel text
// (straight-line part), to show what a text-based assembler would cost.
//
// Run: npx tsc -p . && node dist/bench/assembler.bench.js
import {
  Assembler, AluOp, ShiftOp, SseOp, Cond, mem, memIdx, ripRel,
  rax, rcx, rdx, rbx, rsi, rdi, r8, r9, r10, r11, r14, r15, rsp, rbp, xmm0, xmm1, xmm2, type Gpr,
} from '../backend-x64/index.js';
import { Keystone, Const, loadKeystone } from 'keystone-wasm';

const FUNCS = 2000;
const BODY = 60; // loop iterations of the body below per function

const vmField = mem(r15, 0x40);
const vmStub = mem(r15, 0x140); // a runtime stub's address in the vmctx, as compiled code calls them
const slot = (i: number) => mem(rbp, -8 * (i + 1));
const heap = memIdx(r14, rsi, 1, 0x10);
const regs: Gpr[] = [rax, rcx, rdx, rbx, rsi, rdi, r8, r9, r10, r11];

/** Emits one function; returns the number of instructions emitted. */
function emitFunction(a: Assembler): number {
  let n = 0;
  a.push(rbp); a.movRR(64, rbp, rsp); a.aluRI(AluOp.SUB, 64, rsp, 64); n += 3;
  const top = a.newLabel();
  const exit = a.newLabel();
  const trap = a.newLabel();
  a.bind(top);
  for (let i = 0; i < BODY; i++) {
    const d = regs[i % regs.length], s = regs[(i * 7 + 3) % regs.length];
    a.movRM(32, d, heap);                       // i32.load
    a.aluRR(AluOp.ADD, 32, d, s);               // i32.add
    a.aluRI(AluOp.XOR, 32, d, i * 13);          // i32.xor const
    a.movMR(64, slot(i & 7), d);                // spill
    a.aluRM(AluOp.CMP, 32, s, slot((i + 1) & 7)); // compare with a local
    a.setcc(Cond.L, d);                         // i32.lt_s
    a.movzxRR(32, 8, d, d);
    a.shiftRI(ShiftOp.SHL, 64, s, (i & 31) + 1);
    a.movMR(32, memIdx(r14, d, 1, i * 4), s);   // i32.store
    a.sseRM(SseOp.ADDSD, xmm0, a.constF64(i & 3)); // f64.add const
    a.sseRR(SseOp.MULSD, xmm1, xmm0);
    a.jcc(Cond.E, (i & 1) === 0 ? trap : exit);  // forward branches
    n += 12;
    if (i % 15 === 14) { a.callM(vmStub); a.movRM(64, r14, vmField); n += 2; }
  }
  a.aluMI(AluOp.CMP, 64, mem(r15, 0x10), 0); a.jcc(Cond.NE, top); n += 2; // loop back edge
  a.bind(trap); a.ud2(); n += 1;
  a.bind(exit); a.movRR(64, rsp, rbp); a.pop(rbp); a.ret(); n += 3;
  a.lea(64, rax, ripRel(top)); n += 1;
  return n;
}

function run(reuse: boolean): { insns: number; bytes: number; ms: number } {
  let insns = 0, bytes = 0;
  const shared = new Assembler(1 << 16);
  const t0 = performance.now();
  for (let f = 0; f < FUNCS; f++) {
    const a = reuse ? shared : new Assembler(1 << 12);
    if (reuse) a.reset();
    insns += emitFunction(a);
    bytes += a.finish().code.length;
  }
  return { insns, bytes, ms: performance.now() - t0 };
}

// Warm up the JIT of the JIT.
run(true); run(false);
const samples = [run(true), run(true), run(true)].sort((x, y) => x.ms - y.ms);
const fresh = [run(false), run(false), run(false)].sort((x, y) => x.ms - y.ms);
const best = samples[0], bestFresh = fresh[0];

// Baseline: keystone on the straight-line part of one body iteration in Intel syntax.
await loadKeystone();
const ks = new Keystone(Const.KS_ARCH_X86, Const.KS_MODE_64);
const lines: string[] = [];
for (let i = 0; i < 200; i++) {
  lines.push('mov eax, dword ptr [r14 + rsi + 0x10]', 'add eax, ecx', `xor eax, ${i * 13}`, 'mov qword ptr [rbp - 8], rax',
    'cmp ecx, dword ptr [rbp - 16]', 'setl al', 'movzx eax, al', 'shl rcx, 3', 'mov dword ptr [r14 + rax + 4], ecx', 'mulsd xmm1, xmm0');
}
const text = lines.join('\n');
ks.asm(text);
const kt0 = performance.now();
const KREPS = 20;
for (let r = 0; r < KREPS; r++) ks.asm(text);
const kms = performance.now() - kt0;
const ksRate = (lines.length * KREPS) / (kms / 1000);

const rate = best.insns / (best.ms / 1000);
const rateFresh = bestFresh.insns / (bestFresh.ms / 1000);
const fmt = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : `${(v / 1e3).toFixed(1)} k`);
console.log('## backend-x64 assembler throughput\n');
console.log(`${FUNCS} functions x ${best.insns / FUNCS} instructions, best of 3 (node ${process.version})\n`);
console.log('| assembler | instructions/s | MB/s of code | ns/instruction | vs keystone |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| backend-x64, one reused Assembler | ${fmt(rate)} | ${(best.bytes / 1e6 / (best.ms / 1000)).toFixed(1)} | ${((best.ms * 1e6) / best.insns).toFixed(1)} | ${(rate / ksRate).toFixed(0)}x |`);
console.log(`| backend-x64, new Assembler per function | ${fmt(rateFresh)} | ${(bestFresh.bytes / 1e6 / (bestFresh.ms / 1000)).toFixed(1)} | ${((bestFresh.ms * 1e6) / bestFresh.insns).toFixed(1)} | ${(rateFresh / ksRate).toFixed(0)}x |`);
console.log(`| keystone-wasm (Intel text, baseline) | ${fmt(ksRate)} | - | ${((kms * 1e6) / (lines.length * KREPS)).toFixed(1)} | 1x |`);
