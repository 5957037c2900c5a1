// Calls. Direct calls to functions of the module are `call rel32` to their entry label; imported
// functions and call_indirect go through a funcref record {code, vmctx, typeId}: load the
// callee's vmctx into r15 and its memory base into r14, call, then restore ours from the frame.
// call_indirect checks, in the spec's order: index < table length ("undefined element"),
// non-null ("uninitialized element"), canonical type id ("indirect call type mismatch").
// Also here: references and table element access (table.get/set/size, ref.*), and the bulk
// memory/table operations, which go to the host through reserved runtime-call indices.
import { AluOp, Cond, mem, memIdx, rdi, rsi, type Gpr, type Mem } from '../../backend-x64/index.js';
import { TrapCode } from '../../abi/traps.js';
import { slotCount } from '../../abi/calling-convention.js';
import { FUNCREF, TABLE_DESC, VMCTX } from '../../abi/vmctx.js';
import { FUNCREF as FUNCREF_T, I32, type FuncType } from '../frontend/types.js';
import { on } from './emitters.js';
import { MEMORY_BASE, R11, R14, R15, RAX, RCX, type CodeGen } from './masm.js';
import { RT } from './runtime-calls.js';

const RSI = rsi, RDI = rdi;

/** Call through the record whose address is in rax (args already in place). */
// Operands at fixed offsets, made once (ruby makes ~100k calls through records).
const RECORD_VMCTX = mem(RAX, FUNCREF.vmctx), RECORD_CODE = mem(RAX, FUNCREF.code), RECORD_TYPE_ID = mem(RAX, FUNCREF.typeId);
const FUNC_REFS = mem(R15, VMCTX.funcRefs), TABLES = mem(R15, VMCTX.tables), TYPE_IDS = mem(R15, VMCTX.typeIds);
const TABLE_ENTRY = memIdx(R11, RAX, 8);

/** `[r11 + disp]` in the CodeGen's reused operand (use it at once). `| 0`: a disp made from an
 *  immediate (a table or type index: U32_FIELD, a double) would be a heap number, and storing one
 *  in a Mem's small-integer `disp` changes every Mem's map (deopting the encoder and emitters in a
 *  cold compile); every disp here is far below 2^31, so the value is the same. */
function r11Mem(c: CodeGen, disp: number): Mem {
  const m = c.globalMem;
  m.disp = disp | 0;
  return m;
}

function callRecord(c: CodeGen): void {
  const a = c.asm;
  a.movRM(64, R15, RECORD_VMCTX);
  a.movRM(64, R14, MEMORY_BASE);
  a.callM(RECORD_CODE);
  c.restorePinned();
}

function call(c: CodeGen, f: number): void {
  const env = c.env;
  const ft: FuncType = env.types[env.funcTypeIndices[f]];
  c.beginCall(ft.params.length, slotCount(ft.results), true);
  if (f < env.numImportedFuncs) {
    c.asm.movRM(64, RAX, FUNC_REFS);
    if (f > 0) c.asm.aluRI(AluOp.ADD, 64, RAX, FUNCREF.size * f);
    callRecord(c);
  } else {
    c.asm.call(env.funcLabels[f]);
  }
  c.endCall(ft.results, f < env.numImportedFuncs);
}

/** r11 = table t's descriptor; bounds-check idx against its length. */
function tableCheck(c: CodeGen, t: number, idx: Gpr, trap: number): void {
  const a = c.asm;
  a.movRM(64, R11, TABLES);
  a.aluRM(AluOp.CMP, 32, idx, r11Mem(c, TABLE_DESC.size * t + TABLE_DESC.length));
  a.jcc(Cond.AE, c.trapLabel(trap));
  a.movRM(64, R11, r11Mem(c, TABLE_DESC.size * t + TABLE_DESC.base));
}

function callIndirect(c: CodeGen, typeIndex: number, table: number): void {
  const a = c.asm;
  const ft = c.env.types[typeIndex];
  // The index first (top of stack), then the arguments. The index waits in rax, which is no
  // argument register (abi ARG_GPRS): the argument moves can neither read nor clobber it, and the
  // record then replaces it there.
  const idx = c.popGpr();
  if (idx !== RAX) {
    c.claimGpr(RAX);
    c.asm.movRR(64, RAX, idx);
    c.freeGpr(idx);
  }
  c.beginCall(ft.params.length, slotCount(ft.results), true);
  tableCheck(c, table, RAX, TrapCode.undefinedElement);
  a.movRM(64, RAX, TABLE_ENTRY);
  a.testRR(64, RAX, RAX);
  a.jcc(Cond.E, c.trapLabel(TrapCode.uninitializedElement));
  a.movRM(64, R11, TYPE_IDS);
  a.movRM(32, R11, r11Mem(c, 4 * typeIndex));
  a.aluRM(AluOp.CMP, 32, R11, RECORD_TYPE_ID);
  a.jcc(Cond.NE, c.trapLabel(TrapCode.indirectCallTypeMismatch));
  c.freeGpr(RAX);
  callRecord(c);
  c.endCall(ft.results, true);
}

/** A status-returning runtime call: 0 continues, anything else is the trap code to raise. */
function checkedRuntimeCall(c: CodeGen, index: number, np: number): void {
  const a = c.asm;
  c.runtimeCall(index, np, I32);
  const r = c.popGpr(); // rax
  const ok = a.newLabel();
  a.testRR(32, r, r);
  a.jcc(Cond.E, ok);
  a.callM(memIdx(R15, r, 8, VMCTX.trapStubs));
  a.bind(ok);
  c.freeGpr(r);
}

function pushImm(c: CodeGen, v: number): void { c.vs.pushConst(I32, v, 0); }

export function registerCall(): void {
  on('call', (c, ir) => call(c, ir.index));
  on('call_indirect', (c, ir) => callIndirect(c, ir.index, ir.index2));

  // References: funcref = address of a funcref record (0 = null); externref = host handle.
  on('ref.null', (c, ir) => c.vs.pushConst(ir.i32, 0, 0));
  on('ref.is_null', (c) => {
    const r = c.popGpr();
    c.asm.testRR(64, r, r);
    c.freeGpr(r);
    c.pushCond(Cond.E);
  });
  on('ref.func', (c, ir) => {
    const r = c.allocGpr();
    c.asm.movRM(64, r, mem(R15, VMCTX.funcRefs));
    if (ir.index > 0) c.asm.aluRI(AluOp.ADD, 64, r, FUNCREF.size * ir.index);
    c.pushReg(FUNCREF_T, r);
  });

  // Tables.
  on('table.get', (c, ir) => {
    const idx = c.popGpr();
    tableCheck(c, ir.index, idx, TrapCode.tableOutOfBounds);
    c.asm.movRM(64, idx, memIdx(R11, idx, 8));
    c.pushReg(c.env.tableTypes[ir.index], idx);
  });
  on('table.set', (c, ir) => {
    const v = c.popGpr();
    const idx = c.popGpr();
    tableCheck(c, ir.index, idx, TrapCode.tableOutOfBounds);
    c.asm.movMR(64, memIdx(R11, idx, 8), v);
    c.freeGpr(v);
    c.freeGpr(idx);
  });
  on('table.size', (c, ir) => {
    const r = c.allocGpr();
    c.asm.movRM(64, R11, TABLES);
    c.asm.movRM(32, r, r11Mem(c, TABLE_DESC.size * ir.index + TABLE_DESC.length));
    c.pushReg(I32, r);
  });
  on('table.grow', (c, ir) => { pushImm(c, ir.index); c.runtimeCall(RT.tableGrow, 3, I32); });
  on('table.fill', (c, ir) => { pushImm(c, ir.index); checkedRuntimeCall(c, RT.tableFill, 4); });
  on('table.copy', (c, ir) => { pushImm(c, ir.index); pushImm(c, ir.index2); checkedRuntimeCall(c, RT.tableCopy, 5); });
  on('table.init', (c, ir) => { pushImm(c, ir.index); pushImm(c, ir.index2); checkedRuntimeCall(c, RT.tableInit, 5); });
  on('elem.drop', (c, ir) => { pushImm(c, ir.index); c.runtimeCall(RT.elemDrop, 1, null); });

  // Bulk memory.
  on('memory.init', (c, ir) => { pushImm(c, ir.index); checkedRuntimeCall(c, RT.memoryInit, 4); });
  on('data.drop', (c, ir) => { pushImm(c, ir.index); c.runtimeCall(RT.dataDrop, 1, null); });
  on('memory.copy', memoryCopy);
  on('memory.fill', memoryFill);
}

const MEMORY_SIZE = mem(R15, VMCTX.memorySize);

/** Trap unless `r + rcx` (both zero-extended i32s) is within the accessible memory. */
function rangeCheck(c: CodeGen, r: Gpr): void {
  const a = c.asm;
  a.lea(64, R11, memIdx(r, RCX, 1, 0));
  a.aluRM(AluOp.CMP, 64, R11, MEMORY_SIZE);
  a.jcc(Cond.A, c.trapLabel(TrapCode.memoryOutOfBounds));
}

/**
 * memory.copy inline (no host call): both ranges are checked before anything is written (the
 * spec traps without a partial copy), then `rep movsb`. Only a real forward overlap
 * (0 <= dst - src < n, unsigned) copies backwards with the direction flag set; std/cld are
 * slow, and the ABI wants DF clear again at once.
 */
function memoryCopy(c: CodeGen): void {
  const a = c.asm;
  c.claimGpr(RDI); c.claimGpr(RSI); c.claimGpr(RCX);
  c.popTo(RCX); c.popTo(RSI); c.popTo(RDI);
  rangeCheck(c, RSI);
  rangeCheck(c, RDI);
  const forward = a.newLabel(), done = a.newLabel();
  a.movRR(64, R11, RDI);
  a.aluRR(AluOp.SUB, 64, R11, RSI);
  a.aluRR(AluOp.ADD, 64, RSI, R14);
  a.aluRR(AluOp.ADD, 64, RDI, R14);
  a.aluRR(AluOp.CMP, 64, R11, RCX);
  a.jcc(Cond.AE, forward);
  a.lea(64, RSI, memIdx(RSI, RCX, 1, -1));
  a.lea(64, RDI, memIdx(RDI, RCX, 1, -1));
  a.std();
  a.repMovsb();
  a.cld();
  a.jmp(done);
  a.bind(forward);
  a.repMovsb();
  a.bind(done);
  c.freeGpr(RDI); c.freeGpr(RSI); c.freeGpr(RCX);
}

/** memory.fill inline: range check, then `rep stosb` with the byte in al. */
function memoryFill(c: CodeGen): void {
  const a = c.asm;
  c.claimGpr(RDI); c.claimGpr(RAX); c.claimGpr(RCX);
  c.popTo(RCX); c.popTo(RAX); c.popTo(RDI);
  rangeCheck(c, RDI);
  a.aluRR(AluOp.ADD, 64, RDI, R14);
  a.repStosb();
  c.freeGpr(RDI); c.freeGpr(RAX); c.freeGpr(RCX);
}
