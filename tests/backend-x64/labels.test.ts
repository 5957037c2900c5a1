// Labels and branches: rel8/rel32 selection at the exact boundary, forward
// references patched at bind(), explicit short jumps, many labels, and
// RIP-relative label operands. Targets are checked by decoding our bytes with
// capstone, never against numbers the assembler computed itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Assembler, AluOp, Cond, COND_NAMES, RoundMode, ripRel, rax, rcx, xmm3, type Label, type Gpr } from '../../backend-x64/index.js';
import { hex, loadRefTools } from './x86-ref.js';
import { initDisasm, decode } from '../../backend-x64/disasm.js';

test.before(async () => { await initDisasm(); });

interface D { off: number; size: number; mnemonic: string; ops: string; }
function decodeAll(code: Uint8Array): D[] {
  const out = decode(code).map((i) => ({ off: i.offset, size: i.size, mnemonic: i.mnemonic, ops: i.operands }));
  const last = out[out.length - 1];
  assert.ok(last !== undefined && last.off + last.size === code.length, 'capstone decoded the whole buffer');
  return out;
}
const at = (ds: D[], off: number): D => {
  const d = ds.find((x) => x.off === off);
  if (d === undefined) throw new Error(`no instruction starts at ${off}`);
  return d;
};
/** Branch target printed by capstone as an absolute address (hex or small decimal). */
const target = (d: D): number => Number(d.ops);

test('backward jmp/jcc: rel8 up to -128, rel32 from -129', () => {
  for (const kind of ['jmp', 'jcc'] as const) {
    for (let fill = 120; fill <= 135; fill++) {
      const a = new Assembler();
      const top = a.newLabel();
      a.bind(top);
      for (let i = 0; i < fill; i++) a.nop(1);
      const from = a.offset;
      if (kind === 'jmp') a.jmp(top); else a.jcc(Cond.NE, top);
      const code = a.finish().code;
      const d = at(decodeAll(code), from);
      const rel8 = 0 - (from + 2);
      const expectShort = rel8 >= -128;
      assert.is(d.size, expectShort ? 2 : kind === 'jmp' ? 5 : 6, `${kind} from ${from}`);
      assert.is(d.mnemonic, kind === 'jmp' ? 'jmp' : 'jne');
      assert.is(target(d), 0);
    }
  }
});

test('backward branches are byte-identical to keystone around the rel8 limit', async () => {
  const { ks } = await loadRefTools();
  let checked = 0;
  for (let cc = -2; cc < 16; cc++) { // -2: call, -1: jmp, 0..15: jcc
    for (let from = 110; from <= 140; from++) {
      const a = new Assembler();
      const top = a.newLabel();
      a.bind(top);
      for (let i = 0; i < from; i++) a.int3();
      if (cc === -2) a.call(top); else if (cc === -1) a.jmp(top); else a.jcc(cc as Cond, top);
      const mine = a.finish().code.subarray(from);
      const text = `${cc === -2 ? 'call' : cc === -1 ? 'jmp' : `j${COND_NAMES[cc]}`} 0`;
      assert.is(hex(mine), hex(ks.asm(text, { address: from })), `${text} from ${from}`);
      checked++;
    }
  }
  assert.is(checked, 18 * 31);
});

test('forward jumps are rel32 and land on the bound label at any distance', () => {
  for (const dist of [0, 1, 127, 128, 129, 4096, 200_000]) {
    const a = new Assembler(64); // tiny start: exercises buffer doubling while fixups are pending
    const fwd = a.newLabel();
    a.jmp(fwd);
    a.jcc(Cond.L, fwd);
    a.call(fwd);
    const body = a.offset;
    for (let i = 0; i < dist; i++) a.nop(1);
    a.bind(fwd);
    a.ret();
    const code = a.finish().code;
    assert.is(code.length, body + dist + 1);
    const ds = decodeAll(code);
    assert.is(at(ds, 0).size, 5); assert.is(at(ds, 0).mnemonic, 'jmp');
    assert.is(at(ds, 5).size, 6); assert.is(at(ds, 5).mnemonic, 'jl');
    assert.is(at(ds, 11).size, 5); assert.is(at(ds, 11).mnemonic, 'call');
    for (const off of [0, 5, 11]) assert.is(target(at(ds, off)), body + dist, `distance ${dist}`);
  }
});

test('jmpShort/jccShort forward: fine up to +127, bind() throws at +128', () => {
  for (const dist of [0, 1, 126, 127]) {
    for (const jcc of [false, true]) {
      const a = new Assembler();
      const l = a.newLabel();
      if (jcc) a.jccShort(Cond.A, l); else a.jmpShort(l);
      for (let i = 0; i < dist; i++) a.nop(1);
      a.bind(l);
      const ds = decodeAll(a.finish().code);
      assert.is(at(ds, 0).size, 2);
      assert.is(at(ds, 0).mnemonic, jcc ? 'ja' : 'jmp');
      assert.is(target(at(ds, 0)), 2 + dist);
    }
  }
  const a = new Assembler();
  const l = a.newLabel('far');
  a.jccShort(Cond.E, l);
  for (let i = 0; i < 128; i++) a.nop(1);
  assert.throws(() => a.bind(l), /short jump to label far out of range \(128\)/);
  const b = new Assembler();
  const top = b.newLabel();
  b.bind(top);
  for (let i = 0; i < 127; i++) b.nop(1);
  assert.throws(() => b.jmpShort(top), /out of range/);
});

test('many labels: 6000 labels, 20000 random forward/backward branches all hit their labels', () => {
  let seed = 0x2545f491;
  const rnd = (n: number): number => { // xorshift32: deterministic, no float overflow
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const a = new Assembler(256);
  const N = 6000;
  const labels: Label[] = [];
  for (let i = 0; i < N; i++) labels.push(a.newLabel(`L${i}`));
  const expect: { off: number; label: number }[] = [];
  let next = 0; // labels are bound in order, so lower ids are behind us and higher ids ahead
  for (let j = 0; j < 20000; j++) {
    if (rnd(3) === 0 && next < N) a.bind(labels[next++]);
    const r = rnd(10);
    if (r < 3) { a.aluRR(AluOp.ADD, 64, rnd(16) as Gpr, rnd(16) as Gpr); continue; }
    if (r === 3) { for (let k = rnd(rnd(8) === 0 ? 200 : 8); k > 0; k--) a.nop(1); continue; }
    // Pick mostly nearby labels (rel8 candidates) and sometimes far ones (rel32).
    const span = rnd(4) === 0 ? N : 6;
    const id = Math.max(0, Math.min(N - 1, next + rnd(2 * span) - span));
    expect.push({ off: a.offset, label: id });
    const kind = rnd(3);
    if (kind === 0) a.jmp(labels[id]); else if (kind === 1) a.jcc((rnd(16)) as Cond, labels[id]); else a.call(labels[id]);
  }
  while (next < N) a.bind(labels[next++]);
  const out = a.finish();
  const ds = decodeAll(out.code);
  const byOff = new Map(ds.map((d) => [d.off, d]));
  let short = 0, near = 0;
  for (const e of expect) {
    const d = byOff.get(e.off);
    assert.ok(d !== undefined, `branch at ${e.off} decoded`);
    assert.is(target(d), out.labelOffsets[e.label], `branch at ${e.off} -> L${e.label}`);
    if (d.size === 2) short++; else near++;
  }
  assert.ok(short > 1000 && near > 1000, `both sizes exercised (${short} rel8, ${near} rel32)`);
  // Every backward branch that fits is rel8.
  for (const e of expect) {
    const d = byOff.get(e.off)!;
    const t = out.labelOffsets[e.label];
    if (t <= e.off && t - (e.off + 2) >= -128 && d.mnemonic !== 'call') assert.is(d.size, 2, `backward branch at ${e.off} should be rel8`);
  }
});

test('RIP-relative label operands, forward and backward, with trailing immediates', () => {
  const a = new Assembler();
  const back = a.newLabel();
  a.bind(back);
  a.nop(3);
  const fwd = a.newLabel();
  const sites: { off: number; label: Label; addend: number }[] = [];
  const rec = (label: Label, addend: number, emit: () => void): void => { sites.push({ off: a.offset, label, addend }); emit(); };
  for (const l of [back, fwd]) {
    rec(l, 0, () => a.lea(64, rcx, ripRel(l)));
    rec(l, 8, () => a.movRM(64, rax, ripRel(l, 8)));
    rec(l, -4, () => a.aluMI(AluOp.CMP, 32, ripRel(l, -4), 0x12345678)); // imm32 after the disp
    rec(l, 0, () => a.aluMI(AluOp.ADD, 16, ripRel(l), 0x1234));        // imm16
    rec(l, 0, () => a.roundRM(64, xmm3, ripRel(l), RoundMode.TRUNC));  // imm8
  }
  for (let i = 0; i < 300; i++) a.nop(1);
  a.bind(fwd);
  a.ret();
  const out = a.finish();
  const ds = decodeAll(out.code);
  for (const s of sites) {
    const d = at(ds, s.off);
    const m = /\[rip ([+-]) (0x[0-9a-f]+|\d+)\]/.exec(d.ops);
    assert.ok(m, `${d.mnemonic} ${d.ops}`);
    const disp = (m![1] === '-' ? -1 : 1) * Number(m![2]);
    assert.is(d.off + d.size + disp, out.labelOffsets[s.label] + s.addend, `${d.mnemonic} ${d.ops}`);
  }
});

test('jump-table deltas, unbound and doubly bound labels', () => {
  const a = new Assembler();
  const base = a.newLabel();
  const t1 = a.newLabel();
  const t0 = a.newLabel();
  a.bind(t0);
  a.ret();
  a.bind(base);
  a.dataLabelDelta32(t0, base); // backward
  a.dataLabelDelta32(t1, base); // forward
  a.nop(5);
  a.bind(t1);
  const out = a.finish();
  const v = new DataView(out.code.buffer);
  assert.is(v.getInt32(1, true), -1);
  assert.is(v.getInt32(5, true), out.labelOffsets[t1] - 1);

  const b = new Assembler();
  const never = b.newLabel('never');
  b.jcc(Cond.E, never);
  assert.throws(() => b.finish(), /never bound: never/);
  const c2 = new Assembler();
  const l = c2.newLabel('twice');
  c2.bind(l);
  assert.throws(() => c2.bind(l), /bound twice/);
  // a label id this Assembler never made, at every place that takes one (Encoder's unknownLabel)
  const d = new Assembler();
  const bad = 7 as Label;
  for (const use of [() => d.jmp(bad), () => d.jcc(Cond.E, bad), () => d.bind(bad), () => d.lea(64, rax, ripRel(bad))]) {
    assert.throws(use, (e: Error) => e.message === 'unknown label 7');
  }
});

test('releaseLabels: bound labels since the mark give up their ids, down to one still unbound; names stay; code is the same', () => {
  const build = (release: boolean): { code: Uint8Array; names: Map<number, string>; ids: number[] } => {
    const a = new Assembler();
    const fn = a.newLabel('fn');
    const ids: number[] = [];
    for (let round = 0; round < 3; round++) {
      const mark = a.labelMark();
      const back = a.newLabel(`back${round}`);
      a.bind(back);
      a.aluRI(AluOp.ADD, 64, rax, 1);
      const fwd = a.newLabel();
      a.jcc(Cond.NE, back);
      a.jmp(fwd);
      // round 1: a constant first used here keeps its (unbound) label and the ones before it
      if (round === 1) a.movRM(64, rcx, a.constBits64(0x1234n));
      const after = a.newLabel();
      a.bind(fwd);
      a.bind(after);
      a.call(fn);
      ids.push(back, fwd, after);
      if (release) a.releaseLabels(mark);
    }
    a.bind(fn);
    a.ret();
    const out = a.finish();
    return { code: out.code, names: out.labelNames, ids };
  };
  const kept = build(false), released = build(true);
  assert.equal(hex(released.code), hex(kept.code));
  assert.equal([...released.names].sort((x, y) => x[0] - y[0]), [...kept.names].sort((x, y) => x[0] - y[0]));
  assert.equal(kept.ids, [1, 2, 3, 4, 5, 7, 8, 9, 10]);
  // round 0 gave back 1..3, round 1 reused them and kept 1..3 (the pool label is 3, after 1 and 2),
  // releasing only its last label; round 2 reused that one
  assert.equal(released.ids, [1, 2, 3, 1, 2, 4, 4, 5, 6]);
});

test('released labels keep their own names and offsets past the stores\' growth, names shared or not, in finish and finishPart', () => {
  // 700 functions' worth of released labels (more than the 256 the stores start with), three
  // names repeating (as stack_check and trapN do) and one unique per round
  const build = (): Assembler => {
    const a = new Assembler();
    for (let i = 0; i < 700; i++) {
      const mark = a.labelMark();
      for (const name of ['stack_check', 'trap3', i % 7 === 0 ? `only${i}` : 'trap5']) {
        a.bind(a.newLabel(name));
        a.ret();
      }
      a.releaseLabels(mark);
    }
    return a;
  };
  const expect: [number, string][] = [];
  for (let i = 0; i < 700; i++) expect.push([3 * i, 'stack_check'], [3 * i + 1, 'trap3'], [3 * i + 2, i % 7 === 0 ? `only${i}` : 'trap5']);
  const out = build().finish();
  assert.equal([...out.labelNames].sort((x, y) => x[0] - y[0]), expect);
  const part = build().finishPart();
  assert.equal(Array.from(part.nameOffsets, (o, i) => [o, part.names[i]]), expect);
});

test('label names are built when first read, from the finished code even after the Assembler is reused', () => {
  const a = new Assembler();
  const mark = a.labelMark();
  const released = a.newLabel('released'); // named, bound, then given back (releaseLabels)
  a.bind(released);
  a.ret();
  a.releaseLabels(mark);
  a.align(16);
  const held = a.newLabel('held');
  a.bind(held);
  a.ret();
  const out = a.finish();
  const desc = Object.getOwnPropertyDescriptor(out, 'labelNames');
  assert.ok(desc?.get !== undefined, 'labelNames is a getter (no map built by finish)');
  // The Assembler starts over and names labels at the same offsets: the first result must not see them.
  a.reset();
  const other = a.newLabel('other');
  a.bind(other);
  a.ret();
  const again = a.finish();
  assert.equal([...out.labelNames].sort((x, y) => x[0] - y[0]), [[0, 'released'], [16, 'held']]);
  assert.is(out.labelNames, out.labelNames, 'built once');
  assert.equal([...again.labelNames], [[0, 'other']]);
});

test('encodings of label branches match the hand-checked bytes', () => {
  // jne back by 2 is 75 fc... 0x75 = jne rel8, 0x0f 0x85 = jne rel32 (Intel SDM Jcc table).
  const a = new Assembler();
  const l = a.newLabel();
  a.bind(l);
  a.jcc(Cond.NE, l);
  const f = a.newLabel();
  a.jcc(Cond.NE, f);
  a.bind(f);
  assert.is(hex(a.finish().code), '75fe' + '0f8500000000');
});

test.run();
