// The runtime's native routines, assembled with backend-x64 into the text of the tiny .so
// (elf-so.ts). They are the only machine code not produced by the compiler:
//
//   kwasm_enter(vmctx)   host -> wasm: save host callee-saved regs + rsp in vmctx, switch to the
//                        wasm stack below the entry slots the host wrote at its top, call
//                        vmctx.entryFunc, store rax/xmm0, return status 0 (results in the slots). Status 1 (trap) and 2 (host call)
//                        come back through the same exit when the wasm stack stops early.
//   kwasm_resume(vmctx)  continue a wasm stack stopped by the host-call stub: the host wrote the
//                        results in the caller's slots (vmctx.hostCallArgsPtr); slot 0 -> rax, xmm0.
//   host-call stub       called by compiled code for host imports; switches back to the host.
//   trap stubs           one per trap code; record the trap and unwind to the host.
//   trap landing pad     where the signal handler sends a faulting compiled-code pc.
//   signal handler       SA_SIGINFO handler for SIGSEGV/SIGBUS/SIGILL/SIGFPE.
//   kwasm_info(out)      writes the addresses above (one ffi call at start-up).
//
// "Active vmctx": enter/resume store the vmctx they were called with in the .so's data; stubs and
// the landing pad report to that one (not to r15), so a trap or host call inside another instance
// reached by a cross-instance call still unwinds to the right entry. The vmctx that was in r15
// is recorded in vmctx.stopVmctx. One thread runs wasm at a time (the JS main thread).
import { Assembler, AluOp, ShiftOp, UnaryOp, SseStore, Cond, mem, memIdx, ripDisp, ripRel, gpr, type Label, type Gpr } from '../../backend-x64/index.js';
import { rax, rcx, rdx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r14, r15, xmm0 } from '../../backend-x64/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import { SYSV_CALLEE_SAVED } from '../../abi/regs.js';
import { TRAP_STUB_COUNT, TrapCode } from '../../abi/traps.js';
import { ENTRY_STATUS } from '../../abi/calling-convention.js';
import type { DataRef, SoSymbol } from './elf-so.js';

/** The .so's data segment (runtime-private; written by native.ts through a Buffer view). */
export const SO_DATA = {
  activeVmctx: 0,
  rangeCount: 8,
  ranges: 64,           // MAX_RANGES x {start, end} (u64 each), compiled-code ranges; the handler
                        // scans only the first rangeCount, so room costs nothing per fault
  prevHandlers: 64512,  // u64 per signal number 0..64: the handler installed before ours
  zeroAction: 65088,    // 32 zero bytes: a kernel sigaction for SIG_DFL (rt_sigaction from the handler)
  fastPairs: 65152,     // FAST_PAIRS x {vmctx, fast table} (u64 each): instances whose hostCallStub
                        // is the fast stub; {0, 0} = free
  size: 65536,
} as const;
export const MAX_RANGES = (SO_DATA.prevHandlers - SO_DATA.ranges) / 16;
export const FAST_PAIRS = 16;

/**
 * A fast table: per instance, native memory the fast host-call stub reads (jit/runtime/fast-fd-write.ts
 * fills it). fd_write (fd_read) on a guest fd whose `fds` (`readFds`) entry is a host fd (>= 0) is
 * served natively.
 */
export const FAST_TABLE = {
  writeImport: 0,       // u32 import index of wasi fd_write; 0xffffffff = none
  readImport: 4,        // u32 import index of wasi fd_read; 0xffffffff = none
  hits: 8,              // u64 calls served natively (tests, stats)
  written: 16,          // u64 scratch: bytes moved by the call in progress (written or read)
  iovEnd: 24,           // u64 scratch: end of the host iovecs of the call in progress
  sleep: 32,            // struct timespec {0, 1 ms}: the EAGAIN back-off jit/wasi/io.ts uses
  fds: 64,              // i32 x MAX_FDS: host fd per guest fd to write, -1 = served in JS
  readFds: 64 + 4 * 64, // i32 x MAX_FDS: host fd per guest fd to read, -1 = served in JS
  errnoMap: 64 + 8 * 64, // u8 x 256: Linux errno -> WASI errno (after a partial transfer only)
  iovs: 64 + 8 * 64 + 256, // {u64 base, u64 len} x MAX_IOVS, host addresses
  MAX_FDS: 64,
  MAX_IOVS: 128,
} as const;
export const FAST_TABLE_SIZE = FAST_TABLE.iovs + 16 * FAST_TABLE.MAX_IOVS;

/** Order of the addresses kwasm_info writes (u64 each). */
export const INFO_FIELDS = ['data', 'signalHandler', 'trapLanding', 'hostCallStub', 'enter', 'resume', 'textStart', 'textEnd', 'hostCallFast'] as const;
export type InfoField = (typeof INFO_FIELDS)[number];
/** Trap stub addresses follow the named fields. */
export const INFO_TRAP_STUBS = INFO_FIELDS.length;
export const INFO_SIZE = 8 * (INFO_FIELDS.length + TRAP_STUB_COUNT);

// glibc x86-64 ucontext_t: uc_mcontext.gregs at 40; REG_* indices; siginfo_t.si_addr at 16.
const UC_GREGS = 40;
const REG = { RDI: 8, RSI: 9, RDX: 12, RIP: 16 } as const;
const greg = (r: number): number => UC_GREGS + 8 * r;
const SI_ADDR = 16;
const SYS = { read: 0, write: 1, rt_sigaction: 13, nanosleep: 35, getpid: 39, gettid: 186, tgkill: 234 } as const;
const EINTR = 4, EAGAIN = 11;

/** `syscall` (0f 05) from the handler: it may not call libc. */
function syscall(a: Assembler): void {
  a.syscall();
}

const CALLEE_SAVED: readonly Gpr[] = SYSV_CALLEE_SAVED.map(gpr);

export interface Trampolines {
  text: Uint8Array;
  symbols: SoSymbol[];
  dataRefs: DataRef[];
}

export function buildTrampolines(): Trampolines {
  const a = new Assembler();
  const dataRefs: DataRef[] = [];
  /** RIP-relative operand into the .so data; `emit` must produce exactly one instruction using it
   *  with the disp32 as its last field (no immediate after it). */
  const data = (off: number, emit: (m: ReturnType<typeof ripDisp>) => void): void => {
    emit(ripDisp(0));
    dataRefs.push({ end: a.offset, dataOffset: off });
  };
  const labels: Record<string, Label> = {};
  const sym = (name: string): Label => (labels[name] = a.newLabel(name));
  const V = (field: keyof typeof VMCTX): ReturnType<typeof mem> => mem(r15, VMCTX[field]);

  const exitToHost = a.newLabel('exit_to_host');
  const textEnd = a.newLabel('text_end');
  const landing = sym('kwasm_trap_landing');
  const trapCommon = a.newLabel('trap_common');

  // ---- kwasm_enter(rdi = vmctx) -> eax = status ----------------------------------------------
  a.bind(sym('kwasm_enter'));
  for (const r of CALLEE_SAVED) a.push(r);
  a.movMR(64, mem(rdi, VMCTX.hostRsp), rsp);
  data(SO_DATA.activeVmctx, (m) => a.movMR(64, m, rdi));
  a.movRR(64, r15, rdi);
  a.movRM(64, r14, V('memoryBase'));
  a.movRM(64, rsp, V('wasmStackTop'));
  // The entry slots are already at the top of the wasm stack (the host wrote them there, see
  // entryArgsBytes): rsp = top - entryArgsBytes(argCount), an even slot count keeping it 16-aligned
  // at the call. No copy, so no fixed-size area a module's signature could overrun.
  a.movRM(64, rax, V('argCount'));
  a.unaryR(UnaryOp.INC, 64, rax);
  a.aluRI(AluOp.AND, 64, rax, -2);
  a.shiftRI(ShiftOp.SHL, 64, rax, 3);
  a.aluRR(AluOp.SUB, 64, rsp, rax);
  a.callM(V('entryFunc'));
  // r15 is pinned: after the call it is our vmctx again (callees restore it on return).
  // Multi-value results are in the entry slots, where the host reads them.
  a.movMR(64, V('retInt'), rax);
  a.sseMR(SseStore.MOVQ, V('retFloat'), xmm0);
  a.movRI(32, rax, ENTRY_STATUS.returned);
  // shared exit: r15 = active vmctx, eax = status
  a.bind(exitToHost);
  a.movRM(64, rsp, V('hostRsp'));
  for (const r of [...CALLEE_SAVED].reverse()) a.pop(r);
  a.ret();

  // ---- kwasm_resume(rdi = vmctx) -> eax = status ---------------------------------------------
  a.align(16);
  a.bind(sym('kwasm_resume'));
  for (const r of CALLEE_SAVED) a.push(r);
  a.movMR(64, mem(rdi, VMCTX.hostRsp), rsp);
  data(SO_DATA.activeVmctx, (m) => a.movMR(64, m, rdi));
  a.movRM(64, rsp, mem(rdi, VMCTX.wasmRsp));
  a.pop(rbp);                                      // the wasm frame pointer the stub saved
  a.movRM(64, r15, mem(rdi, VMCTX.stopVmctx));   // the instance that made the host call
  a.movRM(64, r14, V('memoryBase'));
  // the host wrote the results in place, into the caller's argument area above the stub's
  // return address (vmctx.hostCallArgsPtr); slot 0 also goes to rax and xmm0
  a.movRM(64, rax, mem(rsp, 8));
  a.movToXmm(64, xmm0, rax);
  a.ret(); // into compiled code, after its `call hostCallStub`

  // ---- host-call stub: eax = import index, ecx = slots, args at [rsp + 8 + 8*i] ---------------
  a.align(16);
  a.bind(sym('kwasm_hostcall_stub'));
  data(SO_DATA.activeVmctx, (m) => a.movRM(64, r11, m));
  a.movMR(32, mem(r11, VMCTX.hostCallIndex), rax);
  a.movMR(32, mem(r11, VMCTX.hostCallSlots), rcx);
  a.movMR(64, mem(r11, VMCTX.stopVmctx), r15);
  // The host reads the arguments and writes the results in place, in the caller's argument area
  // (sized by the caller's frame and covered by its stack check): nothing is copied, so a
  // signature of any size cannot overrun anything.
  a.lea(64, rax, mem(rsp, 8));
  a.movMR(64, mem(r11, VMCTX.hostCallArgsPtr), rax);
  // rbp is callee-saved for wasm code but the exit pops the host's rbp: keep it on the wasm stack
  a.push(rbp);
  a.movMR(64, mem(r11, VMCTX.wasmRsp), rsp);
  a.movRR(64, r15, r11);
  a.movRI(32, rax, ENTRY_STATUS.hostCall);
  a.jmp(exitToHost);

  // ---- fast host-call stub: same entry as the host-call stub; installed as vmctx.hostCallStub of
  // instances with a fast table. Serves wasi fd_write / fd_read on a mirrored stream fd without
  // leaving machine code (one write(2)/read(2) per iovec, as jit/wasi's fd_write/writeAll and
  // fd_read/readOnce do); anything unusual jumps to the normal stub before any side effect, so JS
  // answers it exactly as before.
  a.align(16);
  a.bind(sym('kwasm_hostcall_fast'));
  {
    const slow = labels['kwasm_hostcall_stub']!;
    const T = FAST_TABLE;
    const scan = a.newLabel(), found = a.newLabel(), write = a.newLabel(), read = a.newLabel();
    // r8 = this instance's table: r15 is the calling instance's vmctx (pinned)
    data(SO_DATA.fastPairs, (m) => a.lea(64, r8, m));
    a.movRI(32, r9, FAST_PAIRS);
    a.bind(scan);
    a.aluRM(AluOp.CMP, 64, r15, mem(r8, 0));
    a.jcc(Cond.E, found);
    a.aluRI(AluOp.ADD, 64, r8, 16);
    a.unaryR(UnaryOp.DEC, 32, r9);
    a.jcc(Cond.NE, scan);
    a.jmp(slow);
    a.bind(found);
    a.movRM(64, r8, mem(r8, 8));
    a.aluRI(AluOp.CMP, 32, rcx, 4);     // (fd, iovs, iovsLen, nwritten/nread) -> errno
    a.jcc(Cond.NE, slow);
    a.aluRM(AluOp.CMP, 32, rax, mem(r8, T.writeImport));
    a.jcc(Cond.E, write);
    a.aluRM(AluOp.CMP, 32, rax, mem(r8, T.readImport));
    a.jcc(Cond.E, read);
    a.jmp(slow);
    a.bind(write);
    serveFast(a, 'write', slow, V);
    a.bind(read);
    serveFast(a, 'read', slow, V);
  }

  // ---- trap stubs: `call [r15 + trapStubs + 8*code]`; edi = code --------------------------------
  const stubs: Label[] = [];
  for (let code = 0; code < TRAP_STUB_COUNT; code++) {
    a.align(8);
    const l = sym(`kwasm_trap_stub_${code}`);
    stubs.push(l);
    a.bind(l);
    a.movRI(32, rdi, code);
    if (code === TrapCode.stackOverflow) {
      // the loop-header interrupt check shares the stack-limit slow path (ARCHITECTURE.md)
      a.aluMI(AluOp.CMP, 32, V('interrupt'), 0);
      a.jcc(Cond.E, trapCommon);
      a.movRI(32, rdi, TrapCode.interrupted);
    }
    a.jmp(trapCommon);
  }
  a.align(16);
  a.bind(trapCommon);
  a.pop(rdx);                // return address of the stub call = trap pc
  a.aluRR(AluOp.XOR, 32, rsi, rsi);
  a.aluRR(AluOp.XOR, 32, rax, rax); // signal 0: not a hardware fault
  const record = a.newLabel('trap_record');
  a.jmp(record);

  // ---- trap landing pad (from the signal handler): edi = signal, rsi = si_addr, rdx = pc --------
  a.align(16);
  a.bind(landing);
  a.movRR(32, rax, rdi);     // signal
  a.aluRR(AluOp.XOR, 32, rdi, rdi); // code 0: classified by the runtime from signal + address
  a.bind(record);
  data(SO_DATA.activeVmctx, (m) => a.movRM(64, r11, m));
  a.movMR(32, mem(r11, VMCTX.trapCode), rdi);
  a.movMR(32, mem(r11, VMCTX.trapSignal), rax);
  a.movMR(64, mem(r11, VMCTX.trapPc), rdx);
  a.movMR(64, mem(r11, VMCTX.trapAddr), rsi);
  a.movMR(64, mem(r11, VMCTX.trapFp), rbp);       // still the trapping frame's: backtraces walk from it
  a.movMR(64, mem(r11, VMCTX.stopVmctx), r15);
  a.movRR(64, r15, r11);
  a.movRI(32, rax, ENTRY_STATUS.trap);
  a.jmp(exitToHost);

  // ---- signal handler(edi = sig, rsi = siginfo_t*, rdx = ucontext_t*) ----------------------------
  a.align(16);
  a.bind(sym('kwasm_signal_handler'));
  const notOurs = a.newLabel(), scan = a.newLabel(), next = a.newLabel(), ours = a.newLabel(), dfl = a.newLabel();
  a.movRR(32, rdi, rdi);     // zero-extend the int signal number
  a.movRM(64, rax, mem(rdx, greg(REG.RIP)));
  data(SO_DATA.ranges, (m) => a.lea(64, r8, m));
  data(SO_DATA.rangeCount, (m) => a.movRM(64, rcx, m));
  a.bind(scan);
  a.testRR(64, rcx, rcx);
  a.jcc(Cond.E, notOurs);
  a.aluRM(AluOp.CMP, 64, rax, mem(r8, 0));
  a.jcc(Cond.B, next);
  a.aluRM(AluOp.CMP, 64, rax, mem(r8, 8));
  a.jcc(Cond.B, ours);
  a.bind(next);
  a.aluRI(AluOp.ADD, 64, r8, 16);
  a.unaryR(UnaryOp.DEC, 64, rcx);
  a.jmp(scan);
  a.bind(ours);
  // Resume at the landing pad with (signal, fault address, pc) in rdi/rsi/rdx. Returning from
  // the handler lets the kernel's sigreturn restore the signal mask: no longjmp, nothing leaks.
  a.movMR(64, mem(rdx, greg(REG.RDX)), rax);
  a.movMR(64, mem(rdx, greg(REG.RDI)), rdi);
  a.movRM(64, rcx, mem(rsi, SI_ADDR));
  a.movMR(64, mem(rdx, greg(REG.RSI)), rcx);
  a.lea(64, rcx, ripRel(landing));
  a.movMR(64, mem(rdx, greg(REG.RIP)), rcx);
  a.ret();
  a.bind(notOurs);
  data(SO_DATA.prevHandlers, (m) => a.lea(64, r8, m));
  a.movRM(64, rax, memIdx(r8, rdi, 8, 0));
  a.aluRI(AluOp.CMP, 64, rax, 1);
  a.jcc(Cond.BE, dfl);
  // Previous handler: tail-jump with our (sig, info, ucontext) untouched. Right for SA_SIGINFO
  // handlers and for plain ones too (a one-argument function ignores rsi/rdx).
  a.jmpR(rax);
  a.bind(dfl);
  // SIG_DFL (or SIG_IGN, which the kernel overrides for a synchronous fault anyway): restore the
  // default action and return; the faulting instruction runs again and the process dies of it.
  data(SO_DATA.zeroAction, (m) => a.lea(64, rsi, m));
  a.aluRR(AluOp.XOR, 32, rdx, rdx);
  a.movRI(32, r10, 8);
  a.movRI(32, rax, SYS.rt_sigaction);
  syscall(a);
  // Re-raise to this thread: for a fault it stays pending until we return (the instruction would
  // fault again anyway); for a signal sent with kill() returning alone would swallow it.
  a.movRR(32, r9, rdi);
  a.movRI(32, rax, SYS.getpid);
  syscall(a);
  a.movRR(64, r8, rax);
  a.movRI(32, rax, SYS.gettid);
  syscall(a);
  a.movRR(64, rsi, rax);
  a.movRR(64, rdi, r8);
  a.movRR(32, rdx, r9);
  a.movRI(32, rax, SYS.tgkill);
  syscall(a);
  a.ret();

  // ---- kwasm_info(rdi = out) ------------------------------------------------------------------
  a.align(16);
  a.bind(sym('kwasm_info'));
  const infoAddr: Record<InfoField, Label | 'data'> = {
    data: 'data', signalHandler: labels['kwasm_signal_handler']!, trapLanding: landing,
    hostCallStub: labels['kwasm_hostcall_stub']!, enter: labels['kwasm_enter']!, resume: labels['kwasm_resume']!,
    textStart: labels['kwasm_enter']!, textEnd: textEnd, hostCallFast: labels['kwasm_hostcall_fast']!,
  };
  INFO_FIELDS.forEach((f, i) => {
    const l = infoAddr[f];
    if (l === 'data') data(0, (m) => a.lea(64, rax, m));
    else a.lea(64, rax, ripRel(l));
    a.movMR(64, mem(rdi, 8 * i), rax);
  });
  stubs.forEach((l, k) => {
    a.lea(64, rax, ripRel(l));
    a.movMR(64, mem(rdi, 8 * (INFO_TRAP_STUBS + k)), rax);
  });
  a.ret();
  a.bind(textEnd);

  const out = a.finish();
  if (out.relocs.length !== 0 || out.codeSize !== out.code.length) throw new Error('trampolines: unexpected relocations or constant pool');
  const symbols: SoSymbol[] = Object.entries(labels).map(([name, l]) => ({ name, section: 'text', offset: out.labelOffsets[l]! }));
  symbols.push({ name: 'kwasm_data', section: 'data', offset: 0, size: SO_DATA.size });
  return { text: out.code, symbols, dataRefs };
}

/**
 * The body of the fast stub for one call (r8 = fast table, eax/ecx already matched): checks,
 * iovec copy, the syscall loop, the result. `back` (eax/ecx restored) is the way to JS.
 */
function serveFast(a: Assembler, op: 'write' | 'read', slow: Label, V: (field: keyof typeof VMCTX) => ReturnType<typeof mem>): void {
  const T = FAST_TABLE;
  const copy = a.newLabel(), copied = a.newLabel(), nextIov = a.newLabel(), inner = a.newLabel(), advance = a.newLabel();
  const done = a.newLabel(), err = a.newLabel(), again = a.newLabel(), mapped = a.newLabel(), finish = a.newLabel(), back = a.newLabel();
  // args are i32 slots: 32-bit loads zero-extend, so every sum below is exact in 64 bits
  a.movRM(32, r9, mem(rsp, 8));       // guest fd
  a.aluRI(AluOp.CMP, 32, r9, T.MAX_FDS);
  a.jcc(Cond.AE, back);
  a.movRM(32, r9, memIdx(r8, r9, 4, op === 'write' ? T.fds : T.readFds));
  a.testRR(32, r9, r9);
  a.jcc(Cond.S, back);                // not mirrored: closed, a file, not the right
  a.movRM(32, rsi, mem(rsp, 24));     // iovsLen
  a.aluRI(AluOp.CMP, 32, rsi, T.MAX_IOVS);
  a.jcc(Cond.A, back);
  a.movRM(64, r10, V('memorySize'));
  a.movRM(32, rdx, mem(rsp, 32));     // result pointer, checked now: JS would fail only after the I/O
  a.aluRI(AluOp.ADD, 64, rdx, 4);
  a.aluRR(AluOp.CMP, 64, rdx, r10);
  a.jcc(Cond.A, back);
  a.movRM(32, rdi, mem(rsp, 16));     // iovs
  a.lea(64, rdx, memIdx(rdi, rsi, 8, 0));
  a.aluRR(AluOp.CMP, 64, rdx, r10);
  a.jcc(Cond.A, back);
  // Read each guest iovec once into the table (host address, length), checking it against the
  // memory size; a bad one goes to JS, which answers EFAULT before any I/O, as here.
  a.aluRM(AluOp.ADD, 64, rdi, V('memoryBase'));      // rdi = host address of iovec 0
  a.lea(64, r11, mem(r8, T.iovs));
  a.shiftRI(ShiftOp.SHL, 64, rsi, 4);
  a.aluRR(AluOp.ADD, 64, rsi, r11);                  // rsi = end of the host iovecs
  a.movMR(64, mem(r8, T.iovEnd), rsi);
  a.bind(copy);
  a.aluRR(AluOp.CMP, 64, r11, rsi);
  a.jcc(Cond.AE, copied);
  a.movRM(32, rax, mem(rdi, 0));      // buf
  a.movRM(32, rcx, mem(rdi, 4));      // buf_len
  a.lea(64, rdx, memIdx(rax, rcx, 1, 0));
  a.aluRR(AluOp.CMP, 64, rdx, r10);
  a.jcc(Cond.A, back);
  a.aluRM(AluOp.ADD, 64, rax, V('memoryBase'));
  a.movMR(64, mem(r11, 0), rax);
  a.movMR(64, mem(r11, 8), rcx);
  a.aluRI(AluOp.ADD, 64, rdi, 8);
  a.aluRI(AluOp.ADD, 64, r11, 16);
  a.jmp(copy);
  a.bind(copied);
  // The loop state lives in the table (syscall clobbers rcx/r11, its args take rdi/rsi/rdx).
  // r8 = table, r9 = host fd, r10 = current host iovec.
  a.movMI(64, mem(r8, T.written), 0);
  a.lea(64, r10, mem(r8, T.iovs));
  a.bind(nextIov);
  a.aluRM(AluOp.CMP, 64, r10, mem(r8, T.iovEnd));
  a.jcc(Cond.AE, done);
  a.bind(inner);
  a.movRM(64, rdx, mem(r10, 8));
  a.testRR(64, rdx, rdx);
  a.jcc(Cond.E, advance);             // empty (or finished) buffer: no syscall, as jit/wasi
  a.movRM(64, rsi, mem(r10, 0));
  a.movRR(32, rdi, r9);
  a.movRI(32, rax, op === 'write' ? SYS.write : SYS.read);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.S, err);
  a.aluMR(AluOp.ADD, 64, mem(r8, T.written), rax);
  if (op === 'write') {
    // a short write continues with the rest of the same buffer (writeAll loops until done)
    a.aluMR(AluOp.ADD, 64, mem(r10, 0), rax);
    a.aluMR(AluOp.SUB, 64, mem(r10, 8), rax);
    a.jmp(inner);
  } else {
    // one read per buffer; a short one (or end of file) ends the call: more would block on a pipe
    a.aluRM(AluOp.CMP, 64, rax, mem(r10, 8));
    a.jcc(Cond.B, done);
  }
  a.bind(advance);
  a.aluRI(AluOp.ADD, 64, r10, 16);
  a.jmp(nextIov);
  a.bind(err);
  // Node's writeSync retries EINTR (libuv), its readSync does not (the error is the answer)
  if (op === 'write') {
    a.aluRI(AluOp.CMP, 64, rax, -EINTR);
    a.jcc(Cond.E, inner);
  }
  a.aluRI(AluOp.CMP, 64, rax, -EAGAIN);
  a.jcc(Cond.E, again);
  // Nothing moved yet: JS redoes the whole call and reports the error its own way.
  a.aluMI(AluOp.CMP, 64, mem(r8, T.written), 0);
  a.jcc(Cond.E, back);
  // After part of the data moved JS returns the errno (no count): map Linux -> WASI with JS's table.
  a.unaryR(UnaryOp.NEG, 64, rax);
  a.movRI(32, rcx, 29);               // Errno.IO: what JS gives an unknown host error
  a.aluRI(AluOp.CMP, 64, rax, 256);
  a.jcc(Cond.AE, mapped);
  a.movzxRM(32, 8, rcx, memIdx(r8, rax, 1, T.errnoMap));
  a.bind(mapped);
  a.movRR(32, rax, rcx);
  a.jmp(finish);
  a.bind(again);
  // non-blocking stdio (Node makes pipes so): sleep 1 ms and retry, as jit/wasi/io.ts does
  a.lea(64, rdi, mem(r8, T.sleep));
  a.aluRR(AluOp.XOR, 32, rsi, rsi);
  a.movRI(32, rax, SYS.nanosleep);
  syscall(a);
  a.jmp(inner);
  a.bind(done);
  a.movRM(32, rdx, mem(rsp, 32));
  a.aluRM(AluOp.ADD, 64, rdx, V('memoryBase'));
  a.movRM(64, rax, mem(r8, T.written));
  a.movMR(32, mem(rdx, 0), rax);
  a.aluRR(AluOp.XOR, 32, rax, rax);   // errno 0
  a.bind(finish);
  a.unaryM(UnaryOp.INC, 64, mem(r8, T.hits));
  // the result as kwasm_resume delivers it: slot 0 of the caller's area, rax and xmm0
  a.movMR(64, mem(rsp, 8), rax);
  a.movToXmm(64, xmm0, rax);
  a.ret();
  // from here on eax/ecx were used as scratch: the normal stub needs the import index and slots
  a.bind(back);
  a.movRM(32, rax, mem(r8, op === 'write' ? T.writeImport : T.readImport));
  a.movRI(32, rcx, 4);
  a.jmp(slow);
}
