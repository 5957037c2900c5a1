// The non-instruction parts of backend-x64: the constant pool (dedup,
// alignment, values, RIP references), align(), buffer growth and reuse, and
// the disassembly listing format.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Assembler, AluOp, SseOp, Cond, mem, rax, rcx, rdi, rsp, xmm0, xmm1, xmm15, type Gpr,
} from '../../backend-x64/index.js';
import { initDisasm, decode, disassemble } from '../../backend-x64/disasm.js';

test.before(async () => { await initDisasm(); });

test('finish({ take: true }): the same code as finish(), handed over without a copy; the Assembler starts over empty', () => {
  const build = (): Assembler => {
    const a = new Assembler(64);
    const l = a.newLabel();
    a.bind(l);
    for (let i = 0; i < 40; i++) a.aluRR(AluOp.ADD, 64, rax, rcx); // past the first buffer: grown once
    a.jmp(l);
    a.sseRM(SseOp.ADDSD, xmm0, a.constF64(1.5)); // a pool entry: finish appends it
    return a;
  };
  const copied = build().finish();
  const a = build();
  const buffer = a.buf.buffer;
  const taken = a.finish({ take: true });
  assert.equal(taken.code, copied.code);
  assert.is(taken.code.buffer, buffer, 'a view of the assembler\'s own buffer');
  assert.is(a.offset, 0);
  a.reset();
  a.ret();
  assert.equal(Array.from(a.finish().code), [0xc3]);
  assert.is(taken.code[taken.code.length - 1], copied.code[copied.code.length - 1], 'the taken code is not overwritten by later use');
});

test('constant pool: deduplicated, naturally aligned, values exact, RIP operands point at them', () => {
  const a = new Assembler();
  const uses: { at: number; expect: number[] }[] = [];
  const bytesOf = (f: (dv: DataView) => void, n: number): number[] => { const dv = new DataView(new ArrayBuffer(n)); f(dv); return [...new Uint8Array(dv.buffer)]; };
  const use = (emit: () => void, expect: number[]): void => { uses.push({ at: a.offset, expect }); emit(); };
  a.nop(1); // make the code size odd so the pool has to pad
  use(() => a.sseRM(SseOp.ADDSD, xmm0, a.constF64(1.5)), bytesOf((d) => d.setFloat64(0, 1.5, true), 8));
  use(() => a.sseRM(SseOp.ADDSS, xmm1, a.constF32(-0.25)), bytesOf((d) => d.setFloat32(0, -0.25, true), 4));
  use(() => a.sseRM(SseOp.MULSD, xmm15, a.constF64(1.5)), bytesOf((d) => d.setFloat64(0, 1.5, true), 8)); // dedup
  const absMask = (): ReturnType<typeof a.const128> => a.const128(0x7fffffffffffffffn, 0x7fffffffffffffffn);
  use(() => a.sseRM(SseOp.ANDPD, xmm0, absMask()), bytesOf((d) => { d.setBigUint64(0, 0x7fffffffffffffffn, true); d.setBigUint64(8, 0x7fffffffffffffffn, true); }, 16));
  use(() => a.sseRM(SseOp.ANDPD, xmm1, absMask()), bytesOf((d) => { d.setBigUint64(0, 0x7fffffffffffffffn, true); d.setBigUint64(8, 0x7fffffffffffffffn, true); }, 16));
  use(() => a.sseRM(SseOp.MOVSS, xmm1, a.constBits32(0x7fc00001)), [0x01, 0x00, 0xc0, 0x7f]); // NaN payload kept
  use(() => a.sseRM(SseOp.ADDSD, xmm0, a.constF64(-0)), bytesOf((d) => d.setFloat64(0, -0, true), 8));
  use(() => a.sseRM(SseOp.ADDSD, xmm0, a.constF64(0)), bytesOf((d) => d.setFloat64(0, 0, true), 8)); // +0 and -0 are distinct
  a.ret();
  const out = a.finish();
  const poolBytes = out.code.length - out.codeSize;
  assert.is(out.codeSize % 16 === 0, false);
  // 16 (mask) + 8 (1.5) + 8 (-0) + 8 (+0) + 4 (-0.25) + 4 (NaN), after padding to 16.
  assert.is(poolBytes - ((16 - (out.codeSize % 16)) % 16), 48);
  for (let p = out.codeSize; p < out.code.length && out.code[p] === 0xcc; p++) assert.ok(p < out.codeSize + 16);
  const ds = decode(out.code.subarray(0, out.codeSize));
  for (const u of uses) {
    const d = ds.find((x) => x.offset === u.at)!;
    const m = /\[rip ([+-]) (0x[0-9a-f]+|\d+)\]/.exec(d.operands)!;
    const addr = d.offset + d.size + (m[1] === '-' ? -1 : 1) * Number(m[2]);
    assert.is(addr % u.expect.length, 0, `${d.mnemonic} ${d.operands}: aligned to ${u.expect.length}`);
    assert.equal([...out.code.subarray(addr, addr + u.expect.length)], u.expect, `${d.mnemonic} ${d.operands}`);
  }
});

test('constBits64Pair: the f64 pool entry of a pattern given as 32-bit halves, shared with constF64; NaN payloads and zeros by bits', () => {
  const a = new Assembler();
  const half = (v: number): [number, number] => { const d = new DataView(new ArrayBuffer(8)); d.setFloat64(0, v, true); return [d.getUint32(0, true), d.getInt32(4, true)]; };
  assert.is(a.constBits64Pair(...half(1.5)), a.constF64(1.5));
  assert.is(a.constBits64Pair(...half(-2.25)), a.constBits64Pair(...half(-2.25)));
  assert.is(a.constBits64Pair(0, 0), a.constF64(0));
  assert.is.not(a.constBits64Pair(0, 0x80000000 | 0), a.constF64(0)); // -0
  const nan = a.constBits64Pair(1, 0x7ff80000);
  assert.is(nan, a.constBits64(0x7ff8000000000001n));
  assert.is.not(nan, a.constF64(NaN));
});

test('align() pads with decodable NOPs to the requested boundary', () => {
  for (const n of [1, 2, 4, 8, 16, 32, 64]) {
    for (let start = 0; start < 40; start += 3) {
      const a = new Assembler();
      for (let i = 0; i < start; i++) a.int3();
      a.align(n);
      assert.is(a.offset % n, 0);
      assert.ok(a.offset - start < n);
      const code = a.finish().code;
      const pad = decode(code.subarray(start));
      assert.ok(pad.every((d) => d.mnemonic === 'nop'), `padding ${start}->${code.length}`);
      assert.is(pad.reduce((s, d) => s + d.size, 0), code.length - start);
    }
  }
  assert.throws(() => new Assembler().align(3), /power of two/);
});

test('buffer growth and reset() reuse produce identical code', () => {
  const emit = (a: Assembler): Uint8Array => {
    const top = a.newLabel();
    a.bind(top);
    for (let i = 0; i < 20000; i++) {
      a.aluRI(AluOp.ADD, 64, (i & 15) as Gpr, i);
      a.movRM(32, rcx, mem(rsp, i * 8));
      if (i % 100 === 0) a.jcc(Cond.NE, top);
    }
    return a.finish().code;
  };
  const small = emit(new Assembler(64));
  const big = emit(new Assembler(1 << 22));
  assert.equal(small, big);
  const reused = new Assembler(64);
  const first = emit(reused);
  reused.reset();
  assert.equal(emit(reused), first);
});

test('disassembly listing: addresses, bytes, label lines, branch target names, pool as data', async () => {
  const a = new Assembler();
  const loop = a.newLabel('loop');
  const done = a.newLabel('done');
  a.movRI(32, rax, 0);
  a.bind(loop);
  a.aluRR(AluOp.ADD, 64, rax, rdi);
  a.sseRM(SseOp.ADDSD, xmm0, a.constF64(2));
  a.aluRI(AluOp.CMP, 64, rax, 100);
  a.jcc(Cond.L, loop);
  a.jmp(done);
  a.bind(done);
  a.ret();
  const out = a.finish();
  const lines = await disassemble(out.code, { address: 0x1000, labels: out.labelNames, dataFrom: out.codeSize });
  assert.equal(lines.slice(0, 9).map((l) => l.replace(/\s+/g, ' ')), [
    '00001000: b8 00 00 00 00 mov eax, 0',
    'loop:',
    '00001005: 48 01 f8 add rax, rdi',
    `00001008: f2 0f 58 05 ${'10 00 00 00'} addsd xmm0, qword ptr [rip + 0x10]`,
    '00001010: 48 83 f8 64 cmp rax, 0x64',
    '00001014: 7c ef jl 0x1005 <loop>',
    '00001016: e9 00 00 00 00 jmp 0x101b <done>', // forward jumps are rel32 by design
    'done:',
    '0000101b: c3 ret',
  ]);
  assert.match(lines[lines.length - 1], /^00001020: 00 00 00 00 00 00 00 40\s+\.byte$/);
  assert.is(lines[lines.length - 2], 'const_b64_4000000000000000:');
});

test('disassembly keeps going after an undecodable byte', async () => {
  // 0x06 (push es) does not exist in 64-bit mode.
  const lines = await disassemble(new Uint8Array([0x90, 0x06, 0xc3]));
  assert.equal(lines.map((l) => l.replace(/\s+/g, ' ')), ['00000000: 90 nop', '00000001: 06 (bad)', '00000002: c3 ret']);
});

test('byte registers: spl/bpl/sil/dil get a REX prefix, al..bl do not', () => {
  const a = new Assembler();
  a.setcc(Cond.E, 3 as Gpr);  // sete bl: no REX
  a.setcc(Cond.E, 6 as Gpr);  // sete sil: REX 40
  a.movzxRR(32, 8, rax, 7 as Gpr); // movzx eax, dil: REX 40
  a.movzxRR(32, 8, 6 as Gpr, rax); // movzx esi, al: no REX (dst is not a byte register)
  const ds = decode(a.finish().code);
  assert.equal(ds.map((d) => `${d.mnemonic} ${d.operands} ${d.size}`), ['sete bl 3', 'sete sil 4', 'movzx eax, dil 4', 'movzx esi, al 3']);
});

test('string ops, direction flag, syscall, and a patchable imm32 ALU form', () => {
  const a = new Assembler();
  a.repMovsb(); a.repStosb(); a.std(); a.cld(); a.syscall();
  const at = a.aluRI32(AluOp.SUB, 64, rsp, 0); // frame size unknown yet: force the 4-byte immediate
  a.patch32(at, 0x128);
  const ds = decode(a.finish().code);
  assert.equal(ds.map((d) => `${d.mnemonic} ${d.operands}`.trim()),
    ['rep movsb byte ptr [rdi], byte ptr [rsi]', 'rep stosb byte ptr [rdi], al', 'std', 'cld', 'syscall', 'sub rsp, 0x128']);
  assert.is(ds[5].size, 7); // 48 81 ec imm32, not the imm8 form
});

test.run();
