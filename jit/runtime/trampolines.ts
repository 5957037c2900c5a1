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
import { rax, rcx, rdx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r14, r15, xmm0 } from '../../backend-x64/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import { SYSV_CALLEE_SAVED } from '../../abi/regs.js';
import { TRAP_STUB_COUNT, TrapCode } from '../../abi/traps.js';
import { ENTRY_STATUS } from '../../abi/calling-convention.js';
import { MAX_RW_COUNT } from '../wasi/memory.js';
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

/** Bits of a mirrored guest fd (FAST_TABLE.fdBits): what the fast stub may do with it. */
export const FAST_FD = { READ: 1, WRITE: 2, SOCKET: 4, NONBLOCK: 8, POLL: 16 } as const;

// poll(2) events, x86-64 Linux
const POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
const FIONREAD = 0x541b;

/**
 * The calls the fast stub serves: all `(fd, iovs, iovsLen, ...) -> errno` with one read(2) or
 * write(2) per non-empty iovec, as jit/wasi's fd_read/fd_write/sock_recv/sock_send do (sock_recv
 * with riflags 0 is read(2), sock_send's siflags are ignored by JS and must be 0 here).
 * `args`: the import's i32 parameter count; `need`: FAST_FD bits the guest fd must have;
 * `flagsArg`: an argument that must be 0 (else JS answers); `resultArg`: the u32 count pointer;
 * `roFlagsArg`: a u16 pointer that gets 0 (sock_recv's ro_flags).
 */
export const IO_OPS = {
  write: { dir: 'out', args: 4, need: FAST_FD.WRITE, flagsArg: -1, resultArg: 3, roFlagsArg: -1 },
  read: { dir: 'in', args: 4, need: FAST_FD.READ, flagsArg: -1, resultArg: 3, roFlagsArg: -1 },
  recv: { dir: 'in', args: 6, need: FAST_FD.READ | FAST_FD.SOCKET, flagsArg: 3, resultArg: 4, roFlagsArg: 5 },
  send: { dir: 'out', args: 5, need: FAST_FD.WRITE | FAST_FD.SOCKET, flagsArg: 3, resultArg: 4, roFlagsArg: -1 },
} as const;
type IoOp = keyof typeof IO_OPS;
/**
 * Every op the stub serves: the iovec calls above and poll_oneoff (servePoll: fd subscriptions
 * only, at most MAX_POLL, on mirrored fds with FAST_FD.POLL; a clock or anything else is JS's).
 */
export const FAST_OPS = { ...IO_OPS, poll: { args: 4 } } as const;
export type FastOp = keyof typeof FAST_OPS;
export const FAST_OP_NAMES = Object.keys(FAST_OPS) as FastOp[];

/**
 * A fast table: per instance, native memory the fast host-call stub reads (jit/runtime/fast-fd-write.ts
 * fills it). A call whose import index is one of `imports` on a guest fd whose `fds` entry is a
 * host fd (>= 0) with the op's `need` bits is served natively.
 */
// guest fds below FAST_MAX_FDS are mirrored: enough for a server with 1000 connections
const FAST_MAX_FDS = 1024, FAST_MAX_IOVS = 128;
const FAST_FDS_AT = 80;
export const FAST_TABLE = {
  imports: 0,           // u32 x MAX_OPS: import index per op (FAST_OP_NAMES order); 0xffffffff = none
  hits: 32,             // u64 calls served natively (tests, stats)
  written: 40,          // u64 scratch: bytes moved by the call in progress (written or read)
  iovEnd: 48,           // u64 scratch: end of the host iovecs of the call in progress
  bits: 56,             // u32 scratch: FAST_FD bits of the fd of the call in progress
  pollfd: 64,           // struct pollfd scratch: the one fd a blocking call waits on
  pollEnd: 72,          // u64 scratch: end of the pollfds of the poll_oneoff in progress
  fds: FAST_FDS_AT,     // i32 x MAX_FDS: host fd per guest fd, -1 = served in JS
  fdBits: FAST_FDS_AT + 4 * FAST_MAX_FDS, // u8 x MAX_FDS: FAST_FD bits per guest fd
  errnoMap: FAST_FDS_AT + 5 * FAST_MAX_FDS, // u8 x 256: Linux errno -> WASI errno, JS's mapping
  iovs: FAST_FDS_AT + 5 * FAST_MAX_FDS + 256, // {u64 base, u64 len} x MAX_IOVS, host addresses
  pollfds: FAST_FDS_AT + 5 * FAST_MAX_FDS + 256 + 16 * FAST_MAX_IOVS, // struct pollfd x MAX_POLL
  MAX_OPS: 8,
  MAX_FDS: FAST_MAX_FDS,
  MAX_IOVS: FAST_MAX_IOVS,
  MAX_POLL: 1024,       // a poll() over 1000 connections (echo-load's 256 + the listener) stays native
} as const;
if (FAST_OP_NAMES.length > FAST_TABLE.MAX_OPS) throw new Error('FAST_TABLE: more ops than import slots');
export const FAST_TABLE_SIZE = FAST_TABLE.pollfds + 8 * FAST_TABLE.MAX_POLL;

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
const SYS = { read: 0, write: 1, poll: 7, ioctl: 16, rt_sigaction: 13, getpid: 39, gettid: 186, tgkill: 234 } as const;
const EINTR = 4, EAGAIN = 11;
const WASI_AGAIN = 6, WASI_BADF = 8, WASI_IO = 29;
// wasi eventtype / eventrwflags (jit/wasi/layout.ts), the subscription and event layouts
const FD_READ = 1, FD_WRITE = 2, HANGUP = 1;
const SUB = { size: 48, userdata: 0, tag: 8, fd: 16 } as const;
const EVENT = { size: 32, userdata: 0, error: 8, type: 10, nbytes: 16, flags: 24 } as const;

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
    const scan = a.newLabel(), found = a.newLabel();
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
    const entry = FAST_OP_NAMES.map(() => a.newLabel());
    FAST_OP_NAMES.forEach((op, i) => {
      a.aluRM(AluOp.CMP, 32, rax, mem(r8, T.imports + 4 * i));
      a.jcc(Cond.E, entry[i]!);
    });
    a.jmp(slow);
    FAST_OP_NAMES.forEach((op, i) => {
      a.bind(entry[i]!);
      a.aluRI(AluOp.CMP, 32, rcx, FAST_OPS[op].args);
      a.jcc(Cond.NE, slow);
      if (op === 'poll') servePoll(a, i, slow, V);
      else serveFast(a, op, i, slow, V);
    });
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
      // the loop-header interrupt check shares the stack-limit slow path (docs/abi.md "Stack limit")
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
function serveFast(a: Assembler, opName: IoOp, opIndex: number, slow: Label, V: (field: keyof typeof VMCTX) => ReturnType<typeof mem>): void {
  const T = FAST_TABLE;
  const op = IO_OPS[opName];
  const out = op.dir === 'out';
  const arg = (k: number): ReturnType<typeof mem> => mem(rsp, 8 + 8 * k);
  const copy = a.newLabel(), copied = a.newLabel(), nextIov = a.newLabel(), inner = a.newLabel(), advance = a.newLabel();
  const done = a.newLabel(), err = a.newLabel(), again = a.newLabel(), wait = a.newLabel(), mapped = a.newLabel(), finish = a.newLabel(), back = a.newLabel();
  // args are i32 slots: 32-bit loads zero-extend, so every sum below is exact in 64 bits
  a.movRM(32, r9, arg(0));            // guest fd
  a.aluRI(AluOp.CMP, 32, r9, T.MAX_FDS);
  a.jcc(Cond.AE, back);
  a.movzxRM(32, 8, rax, memIdx(r8, r9, 1, T.fdBits));
  a.movMR(32, mem(r8, T.bits), rax);
  a.movRM(32, r9, memIdx(r8, r9, 4, T.fds));
  a.testRR(32, r9, r9);
  a.jcc(Cond.S, back);                // not mirrored: closed, a file
  a.aluRI(AluOp.AND, 32, rax, op.need);
  a.aluRI(AluOp.CMP, 32, rax, op.need);
  a.jcc(Cond.NE, back);               // not the right, not a socket: JS answers the error
  if (op.flagsArg >= 0) {
    a.aluMI(AluOp.CMP, 32, arg(op.flagsArg), 0);
    a.jcc(Cond.NE, back);             // RECV_PEEK / RECV_WAITALL / any siflags: JS
  }
  a.movRM(32, rsi, arg(2));           // iovsLen
  a.aluRI(AluOp.CMP, 32, rsi, T.MAX_IOVS);
  a.jcc(Cond.A, back);
  a.movRM(64, r10, V('memorySize'));
  // result pointers, checked now: JS checks them before the I/O (sock_*) or fails after it (fd_*)
  for (const [k, size] of [[op.resultArg, 4], [op.roFlagsArg, 2]] as const) {
    if (k < 0) continue;
    a.movRM(32, rdx, arg(k));
    a.aluRI(AluOp.ADD, 64, rdx, size);
    a.aluRR(AluOp.CMP, 64, rdx, r10);
    a.jcc(Cond.A, back);
  }
  a.movRM(32, rdi, arg(1));           // iovs
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
  a.aluRR(AluOp.XOR, 32, r12, r12);                  // r12 = total bytes asked for
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
  a.aluRR(AluOp.ADD, 64, r12, rcx);
  a.aluRI(AluOp.ADD, 64, rdi, 8);
  a.aluRI(AluOp.ADD, 64, r11, 16);
  a.jmp(copy);
  a.bind(copied);
  // More than Linux's MAX_RW_COUNT in one call: JS answers with its short count (the loop below
  // would move it all, and nwritten, a u32, could wrap).
  a.aluRI(AluOp.CMP, 64, r12, MAX_RW_COUNT);
  a.jcc(Cond.A, back);
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
  a.movRI(32, rax, out ? SYS.write : SYS.read);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.S, err);
  a.aluMR(AluOp.ADD, 64, mem(r8, T.written), rax);
  if (out) {
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
  if (out) {
    a.aluRI(AluOp.CMP, 64, rax, -EINTR);
    a.jcc(Cond.E, inner);
  }
  a.aluRI(AluOp.CMP, 64, rax, -EAGAIN);
  a.jcc(Cond.E, again);
  // Any other error is the answer (no count), mapped Linux -> WASI with JS's table. It is not
  // handed to JS to redo: a socket reports a pending error (ECONNRESET) only once.
  a.bind(mapped);
  a.unaryR(UnaryOp.NEG, 64, rax);
  a.movRI(32, rcx, WASI_IO);          // what JS gives an unknown host error
  a.aluRI(AluOp.CMP, 64, rax, 256);
  const unknown = a.newLabel();
  a.jcc(Cond.AE, unknown);
  a.movzxRM(32, 8, rcx, memIdx(r8, rax, 1, T.errnoMap));
  a.bind(unknown);
  a.movRR(32, rax, rcx);
  a.jmp(finish);
  a.bind(again);
  // Would block (our sockets and Node's stdio pipes are non-blocking on the host). A guest
  // FDFLAGS_NONBLOCK fd gets AGAIN, or a short count once bytes moved (jit/wasi/io.ts streamOp);
  // a blocking one waits for readiness in poll(2) without a timeout (the fast path is off under
  // a deadline) and tries again, whatever poll reports (an error shows in the retry).
  a.testMI(32, mem(r8, T.bits), FAST_FD.NONBLOCK);
  a.jcc(Cond.E, wait);
  a.aluMI(AluOp.CMP, 64, mem(r8, T.written), 0);
  a.jcc(Cond.NE, done);
  a.movRI(32, rax, WASI_AGAIN);
  a.jmp(finish);
  a.bind(wait);
  a.movMR(32, mem(r8, T.pollfd), r9);
  a.movMI(32, mem(r8, T.pollfd + 4), out ? POLLOUT : POLLIN); // events; revents 0
  a.lea(64, rdi, mem(r8, T.pollfd));
  a.movRI(32, rsi, 1);
  a.movRI(32, rdx, -1);
  a.movRI(32, rax, SYS.poll);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.NS, inner);
  a.aluRI(AluOp.CMP, 64, rax, -EINTR);
  a.jcc(Cond.E, inner);
  a.jmp(mapped);                      // poll itself failed (ENOMEM): the answer, not a spin
  a.bind(done);
  a.movRM(32, rdx, arg(op.resultArg));
  a.aluRM(AluOp.ADD, 64, rdx, V('memoryBase'));
  a.movRM(64, rax, mem(r8, T.written));
  a.movMR(32, mem(rdx, 0), rax);
  if (op.roFlagsArg >= 0) {
    // stream sockets never truncate a message: ro_flags is always 0, as sock_recv in JS
    a.movRM(32, rdx, arg(op.roFlagsArg));
    a.aluRM(AluOp.ADD, 64, rdx, V('memoryBase'));
    a.movMI(16, mem(rdx, 0), 0);
  }
  a.aluRR(AluOp.XOR, 32, rax, rax);   // errno 0
  a.bind(finish);
  answer(a);
  a.bind(back);
  toJs(a, opIndex, slow);
}

/** Returns errno eax into the wasm, as kwasm_resume delivers a result: slot 0 of the caller's area, rax and xmm0. */
function answer(a: Assembler): void {
  a.unaryM(UnaryOp.INC, 64, mem(r8, FAST_TABLE.hits));
  a.movMR(64, mem(rsp, 8), rax);
  a.movToXmm(64, xmm0, rax);
  a.ret();
}

/** To JS through the normal stub, which needs the import index and slot count (eax/ecx were scratch). */
function toJs(a: Assembler, opIndex: number, slow: Label): void {
  a.movRM(32, rax, mem(r8, FAST_TABLE.imports + 4 * opIndex));
  a.movRI(32, rcx, FAST_OPS[FAST_OP_NAMES[opIndex]!].args);
  a.jmp(slow);
}

/**
 * poll_oneoff(in, out, nsubs, nevents) natively when every subscription is FD_READ/FD_WRITE on a
 * mirrored fd with POLL_FD_READWRITE (so none is a file, whose readiness JS computes, nor a
 * clock): one pollfd per subscription, poll(2) without a timeout (the fast path is off under a
 * deadline) until something is ready, then the events in subscription order exactly as
 * jit/wasi/poll.ts writes them (POLLNVAL: BADF; readable = IN|HUP|ERR, writable = OUT|HUP|ERR;
 * HANGUP from POLLHUP; nbytes from FIONREAD for reads, 0 when it fails, e.g. on a listener).
 * Anything else goes to JS before a side effect.
 */
function servePoll(a: Assembler, opIndex: number, slow: Label, V: (field: keyof typeof VMCTX) => ReturnType<typeof mem>): void {
  const T = FAST_TABLE;
  const arg = (k: number): ReturnType<typeof mem> => mem(rsp, 8 + 8 * k);
  const back = a.newLabel(), sub = a.newLabel(), isRead = a.newLabel(), again = a.newLabel();
  const polled = a.newLabel(), each = a.newLabel(), next = a.newLabel(), nval = a.newLabel(), readMask = a.newLabel(), report = a.newLabel();
  const noHup = a.newLabel(), sized = a.newLabel(), finish = a.newLabel();
  a.movRM(32, r9, arg(2));            // nsubs: 0 is INVAL, too many is JS's
  a.testRR(32, r9, r9);
  a.jcc(Cond.E, back);
  a.aluRI(AluOp.CMP, 32, r9, T.MAX_POLL);
  a.jcc(Cond.A, back);
  a.movRM(64, r10, V('memorySize'));
  a.movRM(32, rdx, arg(0));           // in + nsubs * 48
  a.lea(64, rax, memIdx(r9, r9, 2, 0));
  a.shiftRI(ShiftOp.SHL, 64, rax, 4);
  a.aluRR(AluOp.ADD, 64, rdx, rax);
  a.aluRR(AluOp.CMP, 64, rdx, r10);
  a.jcc(Cond.A, back);
  a.movRM(32, rdx, arg(1));           // out + nsubs * 32
  a.movRR(64, rax, r9);
  a.shiftRI(ShiftOp.SHL, 64, rax, 5);
  a.aluRR(AluOp.ADD, 64, rdx, rax);
  a.aluRR(AluOp.CMP, 64, rdx, r10);
  a.jcc(Cond.A, back);
  a.movRM(32, rdx, arg(3));           // nevents
  a.aluRI(AluOp.ADD, 64, rdx, 4);
  a.aluRR(AluOp.CMP, 64, rdx, r10);
  a.jcc(Cond.A, back);
  // one pollfd per subscription; r9 counts down, rdi = guest subscription, r11 = pollfd
  a.movRM(32, rdi, arg(0));
  a.aluRM(AluOp.ADD, 64, rdi, V('memoryBase'));
  a.lea(64, r11, mem(r8, T.pollfds));
  a.bind(sub);
  a.movzxRM(32, 8, rax, mem(rdi, SUB.tag));
  a.movRI(32, rcx, POLLIN);
  a.aluRI(AluOp.CMP, 32, rax, FD_READ);
  a.jcc(Cond.E, isRead);
  a.movRI(32, rcx, POLLOUT);
  a.aluRI(AluOp.CMP, 32, rax, FD_WRITE);
  a.jcc(Cond.NE, back);               // a clock (or a bad tag): JS
  a.bind(isRead);
  a.movRM(32, rdx, mem(rdi, SUB.fd));
  a.aluRI(AluOp.CMP, 32, rdx, T.MAX_FDS);
  a.jcc(Cond.AE, back);
  a.testMI(8, memIdx(r8, rdx, 1, T.fdBits), FAST_FD.POLL);
  a.jcc(Cond.E, back);
  a.movRM(32, rax, memIdx(r8, rdx, 4, T.fds));
  a.testRR(32, rax, rax);
  a.jcc(Cond.S, back);
  a.movMR(32, mem(r11, 0), rax);      // fd
  a.movMR(32, mem(r11, 4), rcx);      // events; revents 0
  a.aluRI(AluOp.ADD, 64, rdi, SUB.size);
  a.aluRI(AluOp.ADD, 64, r11, 8);
  a.unaryR(UnaryOp.DEC, 32, r9);
  a.jcc(Cond.NE, sub);
  a.movMR(64, mem(r8, T.pollEnd), r11);
  // wait: EINTR (or 0) polls again, as wait.ts; a failure of poll itself is JS's, nothing written yet
  a.bind(again);
  a.lea(64, rdi, mem(r8, T.pollfds));
  a.movRM(32, rsi, arg(2));
  a.movRI(32, rdx, -1);
  a.movRI(32, rax, SYS.poll);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.G, polled);
  a.jcc(Cond.E, again);
  a.aluRI(AluOp.CMP, 64, rax, -EINTR);
  a.jcc(Cond.E, again);
  a.jmp(back);
  a.bind(polled);
  // events, in subscription order: r9 = pollfd, r10 = guest subscription; nevents in `written`,
  // the next host event address in `iovEnd` (syscall clobbers rcx/r11)
  a.movMI(64, mem(r8, T.written), 0);
  a.movRM(32, rax, arg(1));
  a.aluRM(AluOp.ADD, 64, rax, V('memoryBase'));
  a.movMR(64, mem(r8, T.iovEnd), rax);
  a.lea(64, r9, mem(r8, T.pollfds));
  a.movRM(32, r10, arg(0));
  a.aluRM(AluOp.ADD, 64, r10, V('memoryBase'));
  a.bind(each);
  a.aluRM(AluOp.CMP, 64, r9, mem(r8, T.pollEnd));
  a.jcc(Cond.AE, finish);
  a.movzxRM(32, 16, rax, mem(r9, 6)); // revents
  a.movzxRM(32, 8, rcx, mem(r10, SUB.tag));
  a.movRI(32, rdx, POLLOUT | POLLHUP | POLLERR);
  a.aluRI(AluOp.CMP, 32, rcx, FD_READ);
  a.jcc(Cond.NE, readMask);
  a.movRI(32, rdx, POLLIN | POLLHUP | POLLERR);
  a.bind(readMask);
  a.testRI(32, rax, POLLNVAL);
  a.jcc(Cond.NE, nval);
  a.testRR(32, rax, rdx);
  a.jcc(Cond.E, next);                // not ready
  a.bind(nval);
  // the event: zeroed, then userdata, error, type, nbytes, flags
  a.movRM(64, rdi, mem(r8, T.iovEnd));
  for (let o = 0; o < EVENT.size; o += 8) a.movMI(64, mem(rdi, o), 0);
  a.movRM(64, rdx, mem(r10, SUB.userdata));
  a.movMR(64, mem(rdi, EVENT.userdata), rdx);
  a.movMR(8, mem(rdi, EVENT.type), rcx);
  a.testRI(32, rax, POLLNVAL);
  a.jcc(Cond.E, report);
  a.movMI(16, mem(rdi, EVENT.error), WASI_BADF);
  a.jmp(sized);
  a.bind(report);
  a.testRI(32, rax, POLLHUP);
  a.jcc(Cond.E, noHup);
  a.movMI(16, mem(rdi, EVENT.flags), HANGUP);
  a.bind(noHup);
  a.aluRI(AluOp.CMP, 32, rcx, FD_READ);
  a.jcc(Cond.NE, sized);
  // nbytes = FIONREAD (an int) into the zeroed u64; its failure leaves 0, as poll.ts readable()
  a.lea(64, rdx, mem(rdi, EVENT.nbytes));
  a.movRM(32, rdi, mem(r9, 0));
  a.movRI(32, rsi, FIONREAD);
  a.movRI(32, rax, SYS.ioctl);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.NS, sized);
  a.movMI(64, mem(rdx, 0), 0);
  a.bind(sized);
  a.aluMI(AluOp.ADD, 64, mem(r8, T.iovEnd), EVENT.size);
  a.unaryM(UnaryOp.INC, 64, mem(r8, T.written));
  a.bind(next);
  a.aluRI(AluOp.ADD, 64, r9, 8);
  a.aluRI(AluOp.ADD, 64, r10, SUB.size);
  a.jmp(each);
  a.bind(finish);
  a.movRM(32, rdx, arg(3));
  a.aluRM(AluOp.ADD, 64, rdx, V('memoryBase'));
  a.movRM(64, rax, mem(r8, T.written));
  a.movMR(32, mem(rdx, 0), rax);
  a.aluRR(AluOp.XOR, 32, rax, rax);
  answer(a);
  a.bind(back);
  toJs(a, opIndex, slow);
}
