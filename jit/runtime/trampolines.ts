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
//   kwasm_info(out)      writes the addresses above.
//   kwasm_setup()        the process's one setup call: kwasm_info into the .so data
//                        (SO_DATA.info), the alternate signal stack, the handler for every trap
//                        signal; returns the data's address (or -(step << 16 | errno)).
//
// "Active vmctx": enter/resume store the vmctx they were called with in the .so's data; stubs and
// the landing pad report to that one (not to r15), so a trap or host call inside another instance
// reached by a cross-instance call still unwinds to the right entry. The vmctx that was in r15
// is recorded in vmctx.stopVmctx. One thread runs wasm at a time (the JS main thread).
import { Assembler, AluOp, ShiftOp, UnaryOp, SseOp, SseStore, Cond, mem, memIdx, ripDisp, ripRel, gpr, type Label, type Gpr, type Xmm } from '../../backend-x64/index.js';
import { rax, rbx, rcx, rdx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r14, r15, xmm0 } from '../../backend-x64/index.js';
import { VMCTX } from '../../abi/vmctx.js';
import { SYSV_CALLEE_SAVED } from '../../abi/regs.js';
import { TRAP_SIGNALS, TRAP_STUB_COUNT, TrapCode } from '../../abi/traps.js';
import { ARG_GPRS, ARG_REG_SLOTS, ARG_XMMS, ENTRY_STATUS } from '../../abi/calling-convention.js';
import { MAX_RW_COUNT } from '../wasi/memory.js';
import { Filetype, FILE_RIGHTS, Fdflags, Rights, SOCKET_RIGHTS } from '../wasi/layout.js';
import type { DataRef, SoSymbol } from './elf-so.js';
import { SO_DATA, FAST_PAIRS, FAST_FD, IO_OPS, FAST_OPS, FAST_OP_NAMES, FAST_TABLE, FDSTAT_DIR, SCRATCH, INFO_FIELDS, INFO_TRAP_STUBS, ALTSTACK_SIZE, SETUP_STEPS, type IoOp, type InfoField } from './so-layout.js';

// poll(2) events, x86-64 Linux
const POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
const FIONREAD = 0x541b;

/** A vmctx field as a memory operand through the stub's vmctx register. */
type VmctxField = (field: keyof typeof VMCTX) => ReturnType<typeof mem>;
/** One instruction on a RIP-relative operand into the .so data (buildTrampolines' `data`). */
type DataOp = (off: number, emit: (m: ReturnType<typeof ripDisp>) => void) => void;

// glibc x86-64 ucontext_t: uc_mcontext.gregs at 40; REG_* indices; siginfo_t.si_addr at 16.
const UC_GREGS = 40;
const REG = { RDI: 8, RSI: 9, RDX: 12, RIP: 16 } as const;
const greg = (r: number): number => UC_GREGS + 8 * r;
const SI_ADDR = 16;
const SYS = {
  read: 0, write: 1, close: 3, fstat: 5, poll: 7, mmap: 9, mprotect: 10, rt_sigaction: 13, rt_sigreturn: 15,
  ioctl: 16, pread64: 17, getpid: 39, sigaltstack: 131,
  sendto: 44, recvfrom: 45, setsockopt: 54, gettid: 186, clock_gettime: 228, tgkill: 234, accept4: 288, openat2: 437,
} as const;
const EINTR = 4, EAGAIN = 11, EINVAL = 22, ENOTCONN = 107, MSG_DONTWAIT = 0x40;
const WASI_AGAIN = 6, WASI_BADF = 8, WASI_IO = 29;
// wasi eventtype / eventrwflags (jit/wasi/layout.ts), the subscription and event layouts
const FD_READ = 1, FD_WRITE = 2, HANGUP = 1;
const SUB = { size: 48, userdata: 0, tag: 8, fd: 16, clockId: 16, timeout: 24, clockFlags: 40 } as const;
const CLOCK = 0, CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, ABSTIME = 1;
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

/**
 * The entry's argument registers from its slots at [rsp] (abi calling-convention.ts): slot s into
 * both ARG_GPRS[s] and ARG_XMMS[s] for s < min(count, ARG_REG_SLOTS), since the trampoline does
 * not know the signature and the callee reads the register its parameter type names. Slots past
 * `count` are not read: they may lie above the wasm stack's top. Uses r11 only besides the
 * argument registers.
 */
function loadEntryArgRegs(a: Assembler, count: ReturnType<typeof mem>): void {
  const done = a.newLabel();
  a.movRM(64, r11, count);
  for (let s = 0; s < ARG_REG_SLOTS; s++) {
    a.aluRI(AluOp.CMP, 64, r11, s);
    a.jcc(Cond.BE, done);
    a.movRM(64, gpr(ARG_GPRS[s]), mem(rsp, 8 * s));
    a.sseRM(SseOp.MOVSD, ARG_XMMS[s] as Xmm, mem(rsp, 8 * s));
  }
  a.bind(done);
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
  // the host ran since the last host call: a stat path_open kept is not exact any more
  a.aluRR(AluOp.XOR, 32, rax, rax);
  data(SO_DATA.statCache, (m) => a.movMR(64, m, rax));
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
  loadEntryArgRegs(a, V('argCount'));
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
  a.aluRR(AluOp.XOR, 32, rax, rax);   // a host call: the stat path_open kept is not exact any more
  data(SO_DATA.statCache, (m) => a.movMR(64, m, rax));
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
    // the stat a native path_open kept is exact for this call only if no other host call came
    // between (serveFilestat); every call takes it out of the global, the JS path included
    data(SO_DATA.statCache, (m) => a.movRM(64, r9, m));
    a.movMR(64, mem(r8, T.statOwner), r9);
    a.aluRR(AluOp.XOR, 32, r9, r9);
    data(SO_DATA.statCache, (m) => a.movMR(64, m, r9));
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
      else if (op === 'filestat') serveFilestat(a, i, slow, V);
      else if (op === 'fdstat') serveFdstat(a, i, slow, V);
      else if (op === 'accept') serveAccept(a, i, slow, V);
      else if (op === 'close') serveClose(a, i, slow);
      else if (op === 'open') serveOpen(a, i, slow, V, data);
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

  kwasmSetup(a, sym('kwasm_setup'), labels['kwasm_info']!, labels['kwasm_signal_handler']!, sym('kwasm_sigreturn'), data);
  a.bind(textEnd);

  const out = a.finish();
  if (out.codeSize !== out.code.length) throw new Error('trampolines: unexpected constant pool');
  const symbols: SoSymbol[] = Object.entries(labels).map(([name, l]) => ({ name, section: 'text', offset: out.labelOffsets[l]! }));
  symbols.push({ name: 'kwasm_data', section: 'data', offset: 0, size: SO_DATA.size });
  return { text: out.code, symbols, dataRefs };
}

// Kernel ABI of the setup below (x86-64): struct k_sigaction {handler, flags, restorer, mask (8
// bytes)}, stack_t {sp, int flags, size}; the flags.
const KACT = { handler: 0, flags: 8, restorer: 16, mask: 24, size: 32 } as const;
const SS = { sp: 0, flags: 8, size: 16 } as const;
const SA_SIGINFO = 0x4, SA_ONSTACK = 0x08000000, SA_RESTORER = 0x04000000, SS_DISABLE = 2;
const PROT_RW = 3, MAP_PRIVATE_ANON = 0x22, PAGE = 4096;

/**
 * kwasm_setup() -> rax: the process's start-up in one ffi crossing instead of 15 (each ~70K
 * instructions through ffi-rs): the info block written into the .so data (SO_DATA.info), the
 * alternate signal stack for this thread unless one is installed (mmap + a PROT_NONE guard page
 * below it), and `handler` for every trap signal, each one's previous handler recorded first in
 * SO_DATA.prevHandlers (skipped if it is already ours: a second setup changes nothing). Raw
 * syscalls, as glibc's sigaction would make them, with our own restorer (`sigreturn`: what
 * glibc's __restore_rt is; the kernel needs SA_RESTORER on x86-64), no SA_NODEFER (a fault inside
 * the handler then kills the process instead of looping). Returns the data's address, or
 * -(step << 16 | errno) with step = 1 + the index in SETUP_STEPS of the call that failed.
 */
function kwasmSetup(a: Assembler, entry: Label, info: Label, handler: Label, sigreturn: Label, data: DataOp): void {
  const done = a.newLabel(), handlers = a.newLabel();
  const fail = SETUP_STEPS.map(() => a.newLabel());
  const step = (name: (typeof SETUP_STEPS)[number]): number => SETUP_STEPS.indexOf(name);
  const SS_AT = 0, ACT_AT = 32, OLD_AT = 64, FRAME = 96;
  a.align(16);
  a.bind(entry);
  a.push(rbx);
  a.aluRI(AluOp.SUB, 64, rsp, FRAME);
  data(SO_DATA.info, (m) => a.lea(64, rdi, m));
  a.call(info);
  // sigaltstack(NULL, &ss): keep an alternate stack something else installed
  a.aluRR(AluOp.XOR, 32, rdi, rdi);
  a.lea(64, rsi, mem(rsp, SS_AT));
  a.movRI(32, rax, SYS.sigaltstack);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.S, fail[step('sigaltstack')]!);
  a.testMI(32, mem(rsp, SS_AT + SS.flags), SS_DISABLE);
  a.jcc(Cond.E, handlers);
  // mmap(NULL, ALTSTACK_SIZE + PAGE, RW, PRIVATE | ANONYMOUS, -1, 0)
  a.aluRR(AluOp.XOR, 32, rdi, rdi);
  a.movRI(32, rsi, ALTSTACK_SIZE + PAGE);
  a.movRI(32, rdx, PROT_RW);
  a.movRI(32, r10, MAP_PRIVATE_ANON);
  a.movRI(64, r8, -1);
  a.aluRR(AluOp.XOR, 32, r9, r9);
  a.movRI(32, rax, SYS.mmap);
  syscall(a);
  a.aluRI(AluOp.CMP, 64, rax, -4095);
  a.jcc(Cond.AE, fail[step('mmap')]!);
  a.movRR(64, rbx, rax);
  // the guard page below the alternate stack: PROT_NONE
  a.movRR(64, rdi, rbx);
  a.movRI(32, rsi, PAGE);
  a.aluRR(AluOp.XOR, 32, rdx, rdx);
  a.movRI(32, rax, SYS.mprotect);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.S, fail[step('mprotect')]!);
  a.lea(64, rax, mem(rbx, PAGE));
  a.movMR(64, mem(rsp, SS_AT + SS.sp), rax);
  a.movMI(32, mem(rsp, SS_AT + SS.flags), 0);
  a.movMI(64, mem(rsp, SS_AT + SS.size), ALTSTACK_SIZE);
  a.lea(64, rdi, mem(rsp, SS_AT));
  a.aluRR(AluOp.XOR, 32, rsi, rsi);
  a.movRI(32, rax, SYS.sigaltstack);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.S, fail[step('sigaltstack')]!);
  a.bind(handlers);
  a.lea(64, rbx, ripRel(handler));
  a.movMR(64, mem(rsp, ACT_AT + KACT.handler), rbx);
  a.movMI(64, mem(rsp, ACT_AT + KACT.flags), SA_SIGINFO | SA_ONSTACK | SA_RESTORER);
  a.lea(64, rax, ripRel(sigreturn));
  a.movMR(64, mem(rsp, ACT_AT + KACT.restorer), rax);
  a.movMI(64, mem(rsp, ACT_AT + KACT.mask), 0);
  for (const sig of TRAP_SIGNALS) {
    const skip = a.newLabel();
    const rtSigaction = (act: number | null, old: number | null): void => {
      a.movRI(32, rdi, sig);
      if (act === null) a.aluRR(AluOp.XOR, 32, rsi, rsi); else a.lea(64, rsi, mem(rsp, act));
      if (old === null) a.aluRR(AluOp.XOR, 32, rdx, rdx); else a.lea(64, rdx, mem(rsp, old));
      a.movRI(32, r10, KACT.size - KACT.mask); // the kernel's sizeof(sigset_t): 8
      a.movRI(32, rax, SYS.rt_sigaction);
      syscall(a);
      a.testRR(64, rax, rax);
      a.jcc(Cond.S, fail[step('rt_sigaction')]!);
    };
    // the previous handler recorded before ours can run, so chaining never sees a stale slot
    rtSigaction(null, OLD_AT);
    a.movRM(64, rax, mem(rsp, OLD_AT + KACT.handler));
    a.aluRR(AluOp.CMP, 64, rax, rbx);
    a.jcc(Cond.E, skip);
    data(SO_DATA.prevHandlers + 8 * sig, (m) => a.movMR(64, m, rax));
    rtSigaction(ACT_AT, null);
    a.bind(skip);
  }
  data(0, (m) => a.lea(64, rax, m));
  a.bind(done);
  a.aluRI(AluOp.ADD, 64, rsp, FRAME);
  a.pop(rbx);
  a.ret();
  fail.forEach((l, i) => {
    a.bind(l);
    a.aluRI(AluOp.SUB, 64, rax, (i + 1) << 16); // rax = -errno
    a.jmp(done);
  });
  // the restorer the kernel returns to from every handler of ours (frame: the rt_sigframe)
  a.align(16);
  a.bind(sigreturn);
  a.movRI(32, rax, SYS.rt_sigreturn);
  syscall(a);
}

/**
 * The body of the fast stub for one call (r8 = fast table, eax/ecx already matched): checks,
 * iovec copy, the syscall loop, the result. `back` (eax/ecx restored) is the way to JS.
 */
function serveFast(a: Assembler, opName: IoOp, opIndex: number, slow: Label, V: VmctxField, onFile?: Label): void {
  const T = FAST_TABLE;
  const stream = IO_OPS[opName];
  // fd_read on a FILE: the same loop as fd_pread's at the table's position, which moves on (onFile: this variant)
  const op = onFile === undefined ? stream : { ...stream, need: FAST_FD.FILE, rights: Rights.FD_READ };
  const filePos = onFile !== undefined;
  const fileVariant = 'files' in stream && stream.files && !filePos ? a.newLabel() : undefined;
  if (onFile !== undefined) a.bind(onFile);
  const out = op.dir === 'out';
  const arg = (k: number): ReturnType<typeof mem> => mem(rsp, 8 + 8 * k);
  const copy = a.newLabel(), copied = a.newLabel(), nextIov = a.newLabel(), inner = a.newLabel(), advance = a.newLabel();
  const done = a.newLabel(), err = a.newLabel(), again = a.newLabel(), wait = a.newLabel(), mapped = a.newLabel(), finish = a.newLabel(), back = a.newLabel();
  // args are i32 slots: 32-bit loads zero-extend, so every sum below is exact in 64 bits
  a.movRM(32, r9, arg(0));            // guest fd
  a.aluRI(AluOp.CMP, 32, r9, T.MAX_FDS);
  a.jcc(Cond.AE, back);
  a.movzxRM(32, 8, rax, memIdx(r8, r9, 1, T.fdBits));
  if (fileVariant !== undefined) {
    a.testRI(32, rax, FAST_FD.FILE);
    a.jcc(Cond.NE, fileVariant);
  }
  if (filePos) {
    // a position near JS's MAX_SAFE_INTEGER or beyond (fd_seek put it there): JS answers
    a.movRM(64, rdx, memIdx(r8, r9, 8, T.positions));
    a.shiftRI(ShiftOp.SHR, 64, rdx, 52);
    a.jcc(Cond.NE, back);
  }
  a.movMR(32, mem(r8, T.bits), rax);
  a.movRM(32, r9, memIdx(r8, r9, 4, T.fds));
  a.testRR(32, r9, r9);
  a.jcc(Cond.S, back);                // not mirrored: closed, a directory
  a.aluRI(AluOp.AND, 32, rax, op.need);
  a.aluRI(AluOp.CMP, 32, rax, op.need);
  a.jcc(Cond.NE, back);               // not the right, not a socket: JS answers the error
  if (op.flagsArg >= 0) {
    a.aluMI(AluOp.CMP, 32, arg(op.flagsArg), 0);
    a.jcc(Cond.NE, back);             // RECV_PEEK / RECV_WAITALL / any siflags: JS
  }
  if (op.rights !== 0n) {
    a.movRM(32, rax, arg(0));
    requireRights(a, rax, op.rights, back);
  }
  if (op.offsetArg >= 0) {
    // an offset near JS's MAX_SAFE_INTEGER (FBIG there) or beyond: JS answers
    a.movRM(64, rax, arg(op.offsetArg));
    a.shiftRI(ShiftOp.SHR, 64, rax, 52);
    a.jcc(Cond.NE, back);
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
  // The loop state lives in the table (syscall clobbers rcx/r11, its args take rdi/rsi/rdx, and
  // pread's offset r10). r8 = table, r9 = host fd, cur = current host iovec.
  const positioned = op.offsetArg >= 0 || filePos;
  // sock_recv / sock_send: recvfrom / sendto without flags or address, as a native server calls
  // them (read/write on a socket also pay vfs_write's and fdget_pos's work); r10 is their flags
  const sockCall = opName === 'recv' || opName === 'send';
  const cur = positioned || sockCall ? r12 : r10;
  a.movMI(64, mem(r8, T.written), 0);
  if (!out && !positioned) serveAhead(a, arg(0), cur, nextIov, done, finish);
  a.lea(64, cur, mem(r8, T.iovs));
  a.bind(nextIov);
  a.aluRM(AluOp.CMP, 64, cur, mem(r8, T.iovEnd));
  a.jcc(Cond.AE, done);
  a.bind(inner);
  a.movRM(64, rdx, mem(cur, 8));
  a.testRR(64, rdx, rdx);
  a.jcc(Cond.E, advance);             // empty (or finished) buffer: no syscall, as jit/wasi
  a.movRM(64, rsi, mem(cur, 0));
  a.movRR(32, rdi, r9);
  if (positioned) {
    // pread at offset (or the file's position) + bytes already read (jit/wasi: one pread per buffer)
    if (filePos) {
      a.movRM(32, rax, arg(0));
      a.movRM(64, r10, memIdx(r8, rax, 8, T.positions));
    } else {
      a.movRM(64, r10, arg(op.offsetArg));
    }
    a.aluRM(AluOp.ADD, 64, r10, mem(r8, T.written));
  }
  if (sockCall) {
    a.aluRR(AluOp.XOR, 32, r10, r10);  // flags 0
    a.push(r8);
    a.aluRR(AluOp.XOR, 32, r8, r8);    // no address (its length, r9, is then not read)
    a.movRI(32, rax, out ? SYS.sendto : SYS.recvfrom);
    syscall(a);
    a.pop(r8);
  } else {
    a.movRI(32, rax, out ? SYS.write : positioned ? SYS.pread64 : SYS.read);
    syscall(a);
  }
  a.testRR(64, rax, rax);
  a.jcc(Cond.S, err);
  a.aluMR(AluOp.ADD, 64, mem(r8, T.written), rax);
  if (out) {
    // a short write continues with the rest of the same buffer (writeAll loops until done)
    a.aluMR(AluOp.ADD, 64, mem(cur, 0), rax);
    a.aluMR(AluOp.SUB, 64, mem(cur, 8), rax);
    a.jmp(inner);
  } else {
    // one read per buffer; a short one (or end of file) ends the call: more would block on a pipe
    a.aluRM(AluOp.CMP, 64, rax, mem(cur, 8));
    a.jcc(Cond.B, done);
  }
  a.bind(advance);
  a.aluRI(AluOp.ADD, 64, cur, 16);
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
  wasiErrno(a);
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
  waitFor(a, out ? POLLOUT : POLLIN, inner);
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
  if (filePos) {
    // the position moves by what was read, an error after some buffers included (as fd_read in JS)
    a.movRM(32, rcx, arg(0));
    a.movRM(64, rdx, mem(r8, T.written));
    a.aluMR(AluOp.ADD, 64, memIdx(r8, rcx, 8, T.positions), rdx);
    a.unaryM(UnaryOp.INC, 64, mem(r8, T.changes));
  }
  answer(a);
  a.bind(back);
  toJs(a, opIndex, slow);
  if (fileVariant !== undefined) serveFast(a, opName, opIndex, slow, V, fileVariant);
}

/**
 * A stream read on a guest fd (`fdArg`) that poll_oneoff read ahead on: the bytes taken then come
 * first, as many as the iovecs (in the table, [written] = 0) hold. They run out inside an iovec: a
 * short read, the call ends (`done`, count in [written]); exactly at its end: the next iovecs are
 * read from the socket as usual (`cur` = the next host iovec, to `nextIov`), as jit/wasi's readOnce
 * per buffer does. With no bytes, the error that read met is the answer, once (`finish`, eax =
 * errno). Falls through when nothing is pending. Clobbers rax, rcx, rdx, rsi, rdi, r11.
 */
function serveAhead(a: Assembler, fdArg: ReturnType<typeof mem>, cur: Gpr, nextIov: Label, done: Label, finish: Label): void {
  const T = FAST_TABLE;
  const none = a.newLabel(), data = a.newLabel(), each = a.newLabel(), skip = a.newLabel(), exhausted = a.newLabel();
  a.movRM(32, r11, fdArg);
  a.movRM(32, rax, memIdx(r8, r11, 4, T.aheadLen));
  a.testRR(32, rax, rax);
  a.jcc(Cond.NE, data);
  a.movRM(32, rax, memIdx(r8, r11, 4, T.aheadErr));
  a.testRR(32, rax, rax);
  a.jcc(Cond.E, none);
  a.movMI(32, memIdx(r8, r11, 4, T.aheadErr), 0);
  a.jmp(finish);
  a.bind(data);
  a.lea(64, rdx, mem(r8, T.iovs));     // rdx = current host iovec
  a.bind(each);
  a.aluRM(AluOp.CMP, 64, rdx, mem(r8, T.iovEnd));
  a.jcc(Cond.AE, done);
  a.movRM(64, rcx, mem(rdx, 8));       // n = min(iov_len, bytes left)
  a.movRM(32, rax, memIdx(r8, r11, 4, T.aheadLen));
  a.aluRR(AluOp.CMP, 64, rcx, rax);
  a.jcc(Cond.BE, skip);
  a.movRR(64, rcx, rax);
  a.bind(skip);
  a.movRR(64, rax, rcx);
  a.aluMR(AluOp.ADD, 64, mem(r8, T.written), rcx);
  a.aluMR(AluOp.SUB, 32, memIdx(r8, r11, 4, T.aheadLen), rcx);
  a.movRM(64, rdi, mem(rdx, 0));
  // source: the fd's slot + its offset
  a.movRR(32, rsi, r11);
  a.shiftRI(ShiftOp.SHL, 64, rsi, Math.log2(T.AHEAD_CAP));
  a.aluRM(AluOp.ADD, 32, rsi, memIdx(r8, r11, 4, T.aheadOff));
  a.lea(64, rsi, memIdx(r8, rsi, 1, T.aheadData));
  a.aluMR(AluOp.ADD, 32, memIdx(r8, r11, 4, T.aheadOff), rcx);
  a.repMovsb();
  a.aluMI(AluOp.CMP, 32, memIdx(r8, r11, 4, T.aheadLen), 0);
  a.jcc(Cond.E, exhausted);
  a.aluRI(AluOp.ADD, 64, rdx, 16);    // this iovec is full, bytes are left: the next one
  a.jmp(each);
  a.bind(exhausted);
  a.aluRM(AluOp.CMP, 64, rax, mem(rdx, 8)); // rax = this iovec's share: less than it holds is a short read
  a.jcc(Cond.B, done);
  a.lea(64, cur, mem(rdx, 16));
  a.jmp(nextIov);
  a.bind(none);
}

/**
 * A blocking guest fd would block: waits in poll(2) on host fd r9 for `events`, without a timeout
 * (the fast path is off under a deadline), then to `retry` whatever poll reports (an error shows in
 * the retry) or after EINTR; falls through with rax = -errno when poll itself fails.
 */
function waitFor(a: Assembler, events: number, retry: Label): void {
  const T = FAST_TABLE;
  a.movMR(32, mem(r8, T.pollfd), r9);
  a.movMI(32, mem(r8, T.pollfd + 4), events); // events; revents 0
  a.lea(64, rdi, mem(r8, T.pollfd));
  a.movRI(32, rsi, 1);
  a.movRI(32, rdx, -1);
  a.movRI(32, rax, SYS.poll);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.NS, retry);
  a.aluRI(AluOp.CMP, 64, rax, -EINTR);
  a.jcc(Cond.E, retry);
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
 * mirrored fd with POLL_FD_READWRITE (so none is a file, whose readiness JS computes) or a
 * REALTIME/MONOTONIC clock (relative or absolute): one pollfd per subscription (-1 for a clock),
 * poll(2) until something is ready or the earliest clock is due (no other timeout: the fast path
 * is off under a deadline), then the events in JS's order (jit/wasi/poll.ts): the ready fds in
 * subscription order (POLLNVAL: BADF; readable = IN|HUP|ERR, writable = OUT|HUP|ERR; HANGUP from
 * POLLHUP; nbytes from FIONREAD for reads, 0 when it fails, e.g. on a listener), then the clocks
 * that are due. Anything else goes to JS before a side effect.
 */
function servePoll(a: Assembler, opIndex: number, slow: Label, V: VmctxField): void {
  const T = FAST_TABLE;
  const arg = (k: number): ReturnType<typeof mem> => mem(rsp, 8 + 8 * k);
  const back = a.newLabel(), sub = a.newLabel(), isRead = a.newLabel(), again = a.newLabel();
  const polled = a.newLabel(), each = a.newLabel(), next = a.newLabel(), nval = a.newLabel(), readMask = a.newLabel(), report = a.newLabel();
  const noHup = a.newLabel(), sized = a.newLabel(), finish = a.newLabel(), clockSub = a.newLabel(), subNext = a.newLabel();
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
  a.movMI(64, mem(r8, T.start), 0);
  a.movMI(64, mem(r8, T.minDeadline), -1);
  a.movMI(32, mem(r8, T.aheadReady), 0);
  a.bind(sub);
  a.movzxRM(32, 8, rax, mem(rdi, SUB.tag));
  a.testRR(32, rax, rax);
  a.jcc(Cond.E, clockSub);
  a.movRI(32, rcx, POLLIN);
  a.aluRI(AluOp.CMP, 32, rax, FD_READ);
  a.jcc(Cond.E, isRead);
  a.movRI(32, rcx, POLLOUT);
  a.aluRI(AluOp.CMP, 32, rax, FD_WRITE);
  a.jcc(Cond.NE, back);               // a bad tag: JS (INVAL event)
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
  // bytes (or an error) read ahead by an earlier poll and not read yet: ready now
  a.aluRI(AluOp.CMP, 32, rcx, POLLIN);
  a.jcc(Cond.NE, subNext);
  a.movRM(32, rax, memIdx(r8, rdx, 4, T.aheadLen));
  a.aluRM(AluOp.OR, 32, rax, memIdx(r8, rdx, 4, T.aheadErr));
  a.jcc(Cond.E, subNext);
  a.movMI(32, mem(r8, T.aheadReady), 1);
  a.jmp(subNext);
  // a clock: REALTIME or MONOTONIC (JS answers the others); its deadline on the monotonic clock
  // (JS's poll.ts: relative = start + timeout, absolute = start + (timeout - now of that clock)),
  // the earliest kept; its pollfd is -1, which poll(2) skips
  a.bind(clockSub);
  a.aluMI(AluOp.CMP, 32, mem(r8, T.noClocks), 0);
  a.jcc(Cond.NE, back);
  a.aluMI(AluOp.CMP, 32, mem(rdi, SUB.clockId), CLOCK_MONOTONIC);
  a.jcc(Cond.A, back);
  const haveTimes = a.newLabel(), later = a.newLabel();
  a.aluMI(AluOp.CMP, 64, mem(r8, T.start), 0);
  a.jcc(Cond.NE, haveTimes);
  a.movRR(64, r12, rdi);              // syscall clobbers rcx and r11
  a.movMR(64, mem(r8, T.pollEnd), r11);
  readClock(a, CLOCK_MONOTONIC, T.start);
  readClock(a, CLOCK_REALTIME, T.startReal);
  a.movRR(64, rdi, r12);
  a.movRM(64, r11, mem(r8, T.pollEnd));
  a.bind(haveTimes);
  clockDeadline(a);
  a.aluRM(AluOp.CMP, 64, rax, mem(r8, T.minDeadline));
  a.jcc(Cond.AE, later);
  a.movMR(64, mem(r8, T.minDeadline), rax);
  a.bind(later);
  a.movMI(32, mem(r11, 0), -1);
  a.movMI(32, mem(r11, 4), 0);
  a.bind(subNext);
  a.aluRI(AluOp.ADD, 64, rdi, SUB.size);
  a.aluRI(AluOp.ADD, 64, r11, 8);
  a.unaryR(UnaryOp.DEC, 32, r9);
  a.jcc(Cond.NE, sub);
  a.movMR(64, mem(r8, T.pollEnd), r11);
  // wait until something is ready or the earliest clock is due (poll's timeout in ms, rounded up:
  // it never wakes early); EINTR polls again, as wait.ts; a failure of poll itself is JS's,
  // nothing written yet
  const doPoll = a.newLabel(), timedOut = a.newLabel();
  a.bind(again);
  a.movRI(32, rdx, -1);
  a.aluMI(AluOp.CMP, 64, mem(r8, T.minDeadline), -1);
  a.jcc(Cond.E, doPoll);
  readClock(a, CLOCK_MONOTONIC, T.now);
  a.movRM(64, rax, mem(r8, T.minDeadline));
  a.aluRR(AluOp.XOR, 32, rdx, rdx);
  a.aluRM(AluOp.SUB, 64, rax, mem(r8, T.now));
  a.jcc(Cond.BE, doPoll);             // due (or past): a look only
  a.movRI(32, rdx, 0x7fffffff);
  a.movRI(64, rcx, 1n << 60n);
  a.aluRR(AluOp.CMP, 64, rax, rcx);
  a.jcc(Cond.AE, doPoll);             // far away: the longest poll(2) wait, then again
  a.aluRI(AluOp.ADD, 64, rax, 999_999);
  a.aluRR(AluOp.XOR, 32, rdx, rdx);
  a.movRI(32, rcx, 1_000_000);
  a.unaryR(UnaryOp.DIV, 64, rcx);   // rax = ms, rounded up
  a.movRI(32, rdx, 0x7fffffff);
  a.aluRR(AluOp.CMP, 64, rax, rdx);
  a.jcc(Cond.A, doPoll);
  a.movRR(32, rdx, rax);
  a.bind(doPoll);
  const noAhead = a.newLabel();
  a.aluMI(AluOp.CMP, 32, mem(r8, T.aheadReady), 0);
  a.jcc(Cond.E, noAhead);
  a.aluRR(AluOp.XOR, 32, rdx, rdx);   // something is ready already: only look which fds are too
  a.bind(noAhead);
  a.lea(64, rdi, mem(r8, T.pollfds));
  a.movRM(32, rsi, arg(2));
  a.movRI(32, rax, SYS.poll);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.G, polled);
  a.jcc(Cond.E, timedOut);
  a.aluRI(AluOp.CMP, 64, rax, -EINTR);
  a.jcc(Cond.E, again);
  a.jmp(back);
  a.bind(timedOut);                   // nothing ready: done once the earliest clock is due
  a.aluMI(AluOp.CMP, 32, mem(r8, T.aheadReady), 0);
  a.jcc(Cond.NE, polled);
  a.aluMI(AluOp.CMP, 64, mem(r8, T.minDeadline), -1);
  a.jcc(Cond.E, again);
  readClock(a, CLOCK_MONOTONIC, T.now);
  a.movRM(64, rax, mem(r8, T.now));
  a.aluRM(AluOp.CMP, 64, rax, mem(r8, T.minDeadline));
  a.jcc(Cond.B, again);
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
  const notAhead = a.newLabel();
  a.aluRI(AluOp.CMP, 32, rcx, FD_READ); // read-ahead bytes or error: readable whatever poll said
  a.jcc(Cond.NE, notAhead);
  a.movRM(32, rdx, mem(r10, SUB.fd));
  a.movRM(32, rsi, memIdx(r8, rdx, 4, T.aheadLen));
  a.aluRM(AluOp.OR, 32, rsi, memIdx(r8, rdx, 4, T.aheadErr));
  a.jcc(Cond.E, notAhead);
  a.aluRI(AluOp.OR, 32, rax, POLLIN);
  a.bind(notAhead);
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
  startEvent(a);
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
  readAhead(a, sized);
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
  // then the clocks that are due, in subscription order (after every fd event, as poll.ts)
  const clocksDone = a.newLabel(), eachClock = a.newLabel(), nextClock = a.newLabel();
  a.aluMI(AluOp.CMP, 64, mem(r8, T.minDeadline), -1);
  a.jcc(Cond.E, clocksDone);
  readClock(a, CLOCK_MONOTONIC, T.now);
  a.movRM(32, r10, arg(0));
  a.aluRM(AluOp.ADD, 64, r10, V('memoryBase'));
  a.movRM(32, r9, arg(2));
  a.bind(eachClock);
  a.aluMI(AluOp.CMP, 8, mem(r10, SUB.tag), CLOCK);
  a.jcc(Cond.NE, nextClock);
  a.movRR(64, rdi, r10);
  clockDeadline(a);
  a.aluRM(AluOp.CMP, 64, rax, mem(r8, T.now));
  a.jcc(Cond.A, nextClock);
  startEvent(a);                      // error 0, type CLOCK (0), nbytes 0, flags 0
  a.aluMI(AluOp.ADD, 64, mem(r8, T.iovEnd), EVENT.size);
  a.unaryM(UnaryOp.INC, 64, mem(r8, T.written));
  a.bind(nextClock);
  a.aluRI(AluOp.ADD, 64, r10, SUB.size);
  a.unaryR(UnaryOp.DEC, 32, r9);
  a.jcc(Cond.NE, eachClock);
  a.bind(clocksDone);
  a.movRM(32, rdx, arg(3));
  a.aluRM(AluOp.ADD, 64, rdx, V('memoryBase'));
  a.movRM(64, rax, mem(r8, T.written));
  a.movMR(32, mem(rdx, 0), rax);
  a.aluRR(AluOp.XOR, 32, rax, rax);
  answer(a);
  a.bind(back);
  toJs(a, opIndex, slow);
}

/**
 * nbytes of a ready FD_READ event (rdi = the zeroed event, r9 = its pollfd, r10 = its subscription)
 * on a readable socket, without the FIONREAD a native server does not make: the bytes are read
 * ahead, up to AHEAD_CAP, into the fd's slot (recvfrom, MSG_DONTWAIT), and nbytes is what came
 * (the next read gets them first, serveAhead; jit/wasi's reads after a pull, FdEntry.readAhead).
 * End of file, a listener (ENOTCONN, EINVAL) and EAGAIN are nbytes 0 with nothing kept; any other
 * error the read consumed (ECONNRESET is reported once) is kept for the next read. A full slot,
 * or bytes still unread from an earlier poll, add FIONREAD's count of what waits beyond them.
 * Other fds (pipes, stdin) fall through to FIONREAD. Jumps to `sized`. Clobbers rax, rcx, rdx,
 * rsi, r11, r12.
 */
function readAhead(a: Assembler, sized: Label): void {
  const T = FAST_TABLE;
  const plain = a.newLabel(), pending = a.newLabel(), got = a.newLabel(), more = a.newLabel();
  a.movRM(32, r12, mem(r10, SUB.fd));
  a.movzxRM(32, 8, rax, memIdx(r8, r12, 1, T.fdBits));
  a.aluRI(AluOp.AND, 32, rax, FAST_FD.SOCKET | FAST_FD.READ);
  a.aluRI(AluOp.CMP, 32, rax, FAST_FD.SOCKET | FAST_FD.READ);
  a.jcc(Cond.NE, plain);
  a.movRM(32, rax, memIdx(r8, r12, 4, T.aheadLen));
  a.aluRM(AluOp.OR, 32, rax, memIdx(r8, r12, 4, T.aheadErr));
  a.jcc(Cond.NE, pending);
  a.push(r8);
  a.push(r9);
  a.push(r10);
  a.movRM(32, rdi, mem(r9, 0));       // host fd
  a.movRR(32, rsi, r12);
  a.shiftRI(ShiftOp.SHL, 64, rsi, Math.log2(T.AHEAD_CAP));
  a.lea(64, rsi, memIdx(r8, rsi, 1, T.aheadData));
  a.movRI(32, rdx, T.AHEAD_CAP);
  a.movRI(32, r10, MSG_DONTWAIT);
  a.aluRR(AluOp.XOR, 32, r8, r8);
  a.aluRR(AluOp.XOR, 32, r9, r9);
  a.movRI(32, rax, SYS.recvfrom);
  syscall(a);
  a.pop(r10);
  a.pop(r9);
  a.pop(r8);
  a.movRM(64, rdi, mem(r8, T.iovEnd)); // the event again
  a.testRR(64, rax, rax);
  a.jcc(Cond.G, got);
  a.jcc(Cond.E, sized);               // end of file: nbytes 0
  for (const e of [EAGAIN, ENOTCONN, EINVAL]) {
    a.aluRI(AluOp.CMP, 64, rax, -e);
    a.jcc(Cond.E, sized);
  }
  wasiErrno(a);
  a.movMR(32, memIdx(r8, r12, 4, T.aheadErr), rax);
  a.unaryM(UnaryOp.INC, 64, mem(r8, T.changes)); // a pull must see it
  a.jmp(sized);
  a.bind(got);
  a.movMR(32, memIdx(r8, r12, 4, T.aheadLen), rax);
  a.movMI(32, memIdx(r8, r12, 4, T.aheadOff), 0);
  a.unaryM(UnaryOp.INC, 64, mem(r8, T.changes));
  a.unaryM(UnaryOp.INC, 64, mem(r8, T.aheadTaken));
  a.movMR(64, mem(rdi, EVENT.nbytes), rax);
  a.aluRI(AluOp.CMP, 32, rax, T.AHEAD_CAP);
  a.jcc(Cond.B, sized);
  a.jmp(more);
  a.bind(pending);
  a.movRM(32, rax, memIdx(r8, r12, 4, T.aheadLen));
  a.movMR(64, mem(rdi, EVENT.nbytes), rax);
  a.bind(more);
  // + FIONREAD of what waits in the socket beyond (its failure adds nothing)
  a.movRM(32, rdi, mem(r9, 0));
  a.movRI(32, rsi, FIONREAD);
  a.lea(64, rdx, mem(r8, T.scratch + SCRATCH.one));
  a.movRI(32, rax, SYS.ioctl);
  syscall(a);
  a.movRM(64, rdi, mem(r8, T.iovEnd));
  a.testRR(64, rax, rax);
  a.jcc(Cond.NE, sized);
  a.movRM(32, rax, mem(r8, T.scratch + SCRATCH.one));
  a.aluMR(AluOp.ADD, 64, mem(rdi, EVENT.nbytes), rax);
  a.jmp(sized);
  a.bind(plain);
}

/** rdi = the next guest event ([iovEnd]), zeroed, with the userdata of the subscription at r10. Clobbers rdx. */
function startEvent(a: Assembler): void {
  a.movRM(64, rdi, mem(r8, FAST_TABLE.iovEnd));
  for (let o = 0; o < EVENT.size; o += 8) a.movMI(64, mem(rdi, o), 0);
  a.movRM(64, rdx, mem(r10, SUB.userdata));
  a.movMR(64, mem(rdi, EVENT.userdata), rdx);
}

/** [r8 + to] = clock `id` now in ns (clock_gettime(2); REALTIME and MONOTONIC cannot fail). Clobbers rax, rcx, rsi, rdi, r11. */
function readClock(a: Assembler, id: number, to: number): void {
  const ts = FAST_TABLE.scratch + SCRATCH.ts;
  a.movRI(32, rdi, id);
  a.lea(64, rsi, mem(r8, ts));
  a.movRI(32, rax, SYS.clock_gettime);
  syscall(a);
  a.imulRMI(64, rax, mem(r8, ts), 1_000_000_000);
  a.aluRM(AluOp.ADD, 64, rax, mem(r8, ts + 8));
  a.movMR(64, mem(r8, to), rax);
}

/**
 * rax = the monotonic deadline (ns) of the clock subscription at rdi, from [start]/[startReal] as
 * poll.ts computes it (saturating instead of a bigint past 2^64).
 */
function clockDeadline(a: Assembler): void {
  const T = FAST_TABLE;
  const abs = a.newLabel(), absReal = a.newLabel(), atStart = a.newLabel(), add = a.newLabel(), done = a.newLabel();
  a.movRM(64, rax, mem(rdi, SUB.timeout));
  a.testMI(16, mem(rdi, SUB.clockFlags), ABSTIME);
  a.jcc(Cond.NE, abs);
  a.bind(add);                        // start + rax, saturating
  a.aluRM(AluOp.ADD, 64, rax, mem(r8, T.start));
  a.jcc(Cond.AE, done);               // no carry
  a.movRI(64, rax, -1);
  a.jmp(done);
  a.bind(abs);
  a.aluMI(AluOp.CMP, 32, mem(rdi, SUB.clockId), CLOCK_MONOTONIC);
  a.jcc(Cond.NE, absReal);
  a.aluRM(AluOp.CMP, 64, rax, mem(r8, T.start));
  a.jcc(Cond.B, atStart);             // already past: due now
  a.jmp(done);
  a.bind(absReal);
  a.aluRM(AluOp.CMP, 64, rax, mem(r8, T.startReal));
  a.jcc(Cond.B, atStart);
  a.aluRM(AluOp.SUB, 64, rax, mem(r8, T.startReal));
  a.jmp(add);
  a.bind(atStart);
  a.movRM(64, rax, mem(r8, T.start));
  a.bind(done);
}

/** Jumps to `to` if the byte at [base + disp] is `ch`. Clobbers rax. */
function jumpIfByte(a: Assembler, base: Gpr, disp: number, ch: string, to: Label): void {
  a.movzxRM(32, 8, rax, mem(base, disp));
  a.aluRI(AluOp.CMP, 32, rax, ch.charCodeAt(0));
  a.jcc(Cond.E, to);
}

/** eax = the WASI errno of the failed syscall's rax (-errno), with JS's Linux -> WASI table (r8 = fast table). */
function wasiErrno(a: Assembler): void {
  const unknown = a.newLabel();
  a.unaryR(UnaryOp.NEG, 64, rax);
  a.movRI(32, rcx, WASI_IO);          // what JS gives an unknown host error
  a.aluRI(AluOp.CMP, 64, rax, 256);
  a.jcc(Cond.AE, unknown);
  a.movzxRM(32, 8, rcx, memIdx(r8, rax, 1, FAST_TABLE.errnoMap));
  a.bind(unknown);
  a.movRR(32, rax, rcx);
}

/** Jumps to `back` unless guest fd `fd` (a register, < MAX_FDS) has every right in `rights`. Clobbers rcx, rdx. */
function requireRights(a: Assembler, fd: Gpr, rights: bigint, back: Label): void {
  a.movRM(64, rdx, memIdx(r8, fd, 8, FAST_TABLE.rights));
  a.movRI(64, rcx, rights);
  a.aluRR(AluOp.AND, 64, rdx, rcx);
  a.aluRR(AluOp.CMP, 64, rdx, rcx);
  a.jcc(Cond.NE, back);
}

/**
 * r9 = guest fd of argument `k` (checked < MAX_FDS), r11 = its host fd (checked >= 0: mirrored),
 * eax = its FAST_FD bits; else `back`.
 */
function mirroredFd(a: Assembler, k: number, back: Label): void {
  a.movRM(32, r9, mem(rsp, 8 + 8 * k));
  a.aluRI(AluOp.CMP, 32, r9, FAST_TABLE.MAX_FDS);
  a.jcc(Cond.AE, back);
  a.movRM(32, r11, memIdx(r8, r9, 4, FAST_TABLE.fds));
  a.testRR(32, r11, r11);
  a.jcc(Cond.S, back);
  a.movzxRM(32, 8, rax, memIdx(r8, r9, 1, FAST_TABLE.fdBits));
}

/** Jumps to `back` unless [arg k, arg k + size) lies in linear memory. Clobbers rdx. */
function requireInMemory(a: Assembler, k: number, size: number, back: Label, V: VmctxField): void {
  a.movRM(32, rdx, mem(rsp, 8 + 8 * k));
  a.aluRI(AluOp.ADD, 64, rdx, size);
  a.aluRM(AluOp.CMP, 64, rdx, V('memorySize'));
  a.jcc(Cond.A, back);
}

/**
 * [newFd] = the lowest guest fd without FAST_FD.OPEN (jit/wasi's FdTable.add takes the lowest
 * free number; every open fd below MAX_FDS is marked), else `back`: JS numbers it. Clobbers rcx.
 */
function lowestFreeFd(a: Assembler, back: Label): void {
  const scan = a.newLabel(), found = a.newLabel();
  a.aluRR(AluOp.XOR, 32, rcx, rcx);
  a.bind(scan);
  a.testMI(8, memIdx(r8, rcx, 1, FAST_TABLE.fdBits), FAST_FD.OPEN);
  a.jcc(Cond.E, found);
  a.unaryR(UnaryOp.INC, 32, rcx);
  a.aluRI(AluOp.CMP, 32, rcx, FAST_TABLE.MAX_FDS);
  a.jcc(Cond.B, scan);
  a.jmp(back);
  a.bind(found);
  a.movMR(32, mem(r8, FAST_TABLE.newFd), rcx);
}

/**
 * Enters host fd r12 as guest fd [newFd] (left in r11) with `bits`, rights rdx / inheriting rcx,
 * fdstat word r10, marked created for the next pull; writes the guest fd to argument `fdArg`'s
 * u32 and answers 0.
 */
function adoptNewFd(a: Assembler, bits: Gpr, fdArg: number, V: VmctxField): void {
  const T = FAST_TABLE;
  a.movRM(32, r11, mem(r8, T.newFd));
  a.movMR(32, memIdx(r8, r11, 4, T.fdstat), r10);
  a.movMI(64, memIdx(r8, r11, 8, T.positions), 0);
  a.movMR(32, memIdx(r8, r11, 4, T.fds), r12);
  a.movMR(8, memIdx(r8, r11, 1, T.fdBits), bits);
  a.movMI(8, memIdx(r8, r11, 1, T.created), 1);
  a.movMR(64, memIdx(r8, r11, 8, T.rights), rdx);
  a.movMR(64, memIdx(r8, r11, 8, T.inheriting), rcx);
  a.unaryM(UnaryOp.INC, 64, mem(r8, T.changes));
  a.movRM(32, rdx, mem(rsp, 8 + 8 * fdArg));
  a.aluRM(AluOp.ADD, 64, rdx, V('memoryBase'));
  a.movMR(32, mem(rdx, 0), r11);
  a.aluRR(AluOp.XOR, 32, rax, rax);
  answer(a);
}

// struct stat (x86-64): the fields fd_filestat_get reports
const ST = { dev: 0, ino: 8, nlink: 16, mode: 24, size: 48, atime: 72, mtime: 88, ctime: 104 } as const;
const S_IFMT = 0xf000, S_IFREG = 0x8000;

/** fstat(2) of host fd `fd` into the scratch struct stat; to `notRegular` if it fails or is not a regular file. */
function fstatRegular(a: Assembler, fd: Gpr, notRegular: Label): void {
  const st = FAST_TABLE.scratch + SCRATCH.stat;
  a.movRR(32, rdi, fd);
  a.lea(64, rsi, mem(r8, st));
  a.movRI(32, rax, SYS.fstat);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.NE, notRegular);
  a.movRM(32, rax, mem(r8, st + ST.mode));
  a.aluRI(AluOp.AND, 32, rax, S_IFMT);
  a.aluRI(AluOp.CMP, 32, rax, S_IFREG);
  a.jcc(Cond.NE, notRegular);
}

/**
 * fd_filestat_get(fd, buf) on a FILE with FD_FILESTAT_GET: fstat(2), then the 64-byte filestat
 * as jit/wasi's writeFilestat fills it (times in ns = sec * 1e9 + nsec). A failed fstat, or a
 * host fd that is no longer a regular file, is JS's to answer (fstat has no side effect).
 */
function serveFilestat(a: Assembler, opIndex: number, slow: Label, V: VmctxField): void {
  const back = a.newLabel();
  const st = FAST_TABLE.scratch + SCRATCH.stat;
  mirroredFd(a, 0, back);
  a.testRI(32, rax, FAST_FD.FILE);
  a.jcc(Cond.E, back);
  requireRights(a, r9, Rights.FD_FILESTAT_GET, back);
  requireInMemory(a, 1, 64, back, V);
  // right after the native path_open of this fd, with no host call between, its stat is in
  // scratch already: the guest cannot tell it from one taken now (nothing it saw came after it)
  const fresh = a.newLabel(), haveStat = a.newLabel();
  a.aluRM(AluOp.CMP, 64, r8, mem(r8, FAST_TABLE.statOwner));
  a.jcc(Cond.NE, fresh);
  a.aluRM(AluOp.CMP, 32, r9, mem(r8, FAST_TABLE.statFd));
  a.jcc(Cond.NE, fresh);
  a.unaryM(UnaryOp.INC, 64, mem(r8, FAST_TABLE.statReused));
  a.jmp(haveStat);
  a.bind(fresh);
  fstatRegular(a, r11, back);
  a.bind(haveStat);
  a.movRM(32, rdi, mem(rsp, 8 + 8 * 1));
  a.aluRM(AluOp.ADD, 64, rdi, V('memoryBase'));
  for (const [from, to] of [[ST.dev, 0], [ST.ino, 8], [ST.nlink, 24], [ST.size, 32]] as const) {
    a.movRM(64, rax, mem(r8, st + from));
    a.movMR(64, mem(rdi, to), rax);
  }
  a.movMI(64, mem(rdi, 16), Filetype.REGULAR_FILE); // the filetype byte and its zero padding
  for (const [from, to] of [[ST.atime, 40], [ST.mtime, 48], [ST.ctime, 56]] as const) {
    a.imulRMI(64, rax, mem(r8, st + from), 1_000_000_000);
    a.aluRM(AluOp.ADD, 64, rax, mem(r8, st + from + 8));
    a.movMR(64, mem(rdi, to), rax);
  }
  a.aluRR(AluOp.XOR, 32, rax, rax);
  answer(a);
  a.bind(back);
  toJs(a, opIndex, slow);
}

/**
 * fd_fdstat_get(fd, buf) on a mirrored fd: filetype, fdflags and rights from the table, as
 * jit/wasi writes them (wasi-libc's open() asks for the directory's before every path_open).
 */
function serveFdstat(a: Assembler, opIndex: number, slow: Label, V: VmctxField): void {
  const T = FAST_TABLE;
  const back = a.newLabel();
  mirroredFd(a, 0, back);
  requireInMemory(a, 1, 24, back, V);
  a.movRM(32, rdi, mem(rsp, 8 + 8 * 1));
  a.aluRM(AluOp.ADD, 64, rdi, V('memoryBase'));
  a.movRM(32, rax, memIdx(r8, r9, 4, T.fdstat));
  a.aluRI(AluOp.AND, 32, rax, ~FDSTAT_DIR);
  a.movMR(64, mem(rdi, 0), rax);      // filetype, 0, flags, 4 zero bytes
  a.movRM(64, rax, memIdx(r8, r9, 8, T.rights));
  a.movMR(64, mem(rdi, 8), rax);
  a.movRM(64, rax, memIdx(r8, r9, 8, T.inheriting));
  a.movMR(64, mem(rdi, 16), rax);
  a.aluRR(AluOp.XOR, 32, rax, rax);
  answer(a);
  a.bind(back);
  toJs(a, opIndex, slow);
}

const SOL_TCP = 6, TCP_NODELAY = 1, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;

/**
 * sock_accept(fd, flags, fdPtr) on a mirrored SOCKET, as jit/wasi's sock_accept: accept4
 * (non-blocking, close-on-exec on the host) and TCP_NODELAY (best effort, as sys.accept), the new
 * fd at the lowest free guest number with socketEntry's rights; EAGAIN is AGAIN on a guest-NONBLOCK
 * listener, else a wait in poll(2) and a retry (the fast path is off under a deadline); any other
 * failure is the answer. Flags other than NONBLOCK, a bad pointer or no free number below MAX_FDS
 * go to JS first.
 */
function serveAccept(a: Assembler, opIndex: number, slow: Label, V: VmctxField): void {
  const T = FAST_TABLE;
  const back = a.newLabel(), retry = a.newLabel(), got = a.newLabel(), failed = a.newLabel(), finish = a.newLabel(), blocking = a.newLabel();
  mirroredFd(a, 0, back);
  a.testRI(32, rax, FAST_FD.SOCKET);
  a.jcc(Cond.E, back);
  a.testMI(32, mem(rsp, 8 + 8 * 1), ~Fdflags.NONBLOCK);
  a.jcc(Cond.NE, back);
  requireInMemory(a, 2, 4, back, V);
  lowestFreeFd(a, back);
  a.movRR(32, r9, r11);               // r9 = the listener's host fd from here on
  a.bind(retry);
  a.movRR(32, rdi, r9);
  a.aluRR(AluOp.XOR, 32, rsi, rsi);
  a.aluRR(AluOp.XOR, 32, rdx, rdx);
  a.movRI(32, r10, SOCK_NONBLOCK | SOCK_CLOEXEC);
  a.movRI(32, rax, SYS.accept4);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.NS, got);
  a.aluRI(AluOp.CMP, 64, rax, -EAGAIN);
  a.jcc(Cond.NE, failed);
  a.movRM(32, rcx, mem(rsp, 8));      // the listener's guest fd: is it guest-NONBLOCK?
  a.testMI(8, memIdx(r8, rcx, 1, T.fdBits), FAST_FD.NONBLOCK);
  a.jcc(Cond.E, blocking);
  a.movRI(32, rax, WASI_AGAIN);
  a.jmp(finish);
  a.bind(blocking);
  waitFor(a, POLLIN, retry);
  a.bind(failed);
  wasiErrno(a);
  a.bind(finish);
  answer(a);
  a.bind(got);
  a.movRR(32, r12, rax);
  a.movMI(32, mem(r8, T.scratch + SCRATCH.one), 1);
  a.push(r8);                         // setsockopt's 5th argument is r8
  a.lea(64, r10, mem(r8, T.scratch + SCRATCH.one));
  a.movRR(32, rdi, r12);
  a.movRI(32, rsi, SOL_TCP);
  a.movRI(32, rdx, TCP_NODELAY);
  a.movRI(32, r8, 4);
  a.movRI(32, rax, SYS.setsockopt);
  syscall(a);
  a.pop(r8);
  // bits: a socket we own, readable, writable, pollable; the guest's NONBLOCK (fdflags 4 -> bit 8)
  a.movRM(32, rax, mem(rsp, 8 + 8 * 1));
  a.aluRI(AluOp.AND, 32, rax, Fdflags.NONBLOCK);
  if (FAST_FD.NONBLOCK !== 2 * Fdflags.NONBLOCK) throw new Error('serveAccept: NONBLOCK bit layout');
  a.aluRR(AluOp.ADD, 32, rax, rax);
  a.aluRI(AluOp.OR, 32, rax, FAST_FD.OPEN | FAST_FD.OWNS | FAST_FD.SOCKET | FAST_FD.READ | FAST_FD.WRITE | FAST_FD.POLL);
  a.movRI(64, rdx, SOCKET_RIGHTS);
  a.movRR(64, rcx, rdx);
  a.movRM(32, r10, mem(rsp, 8 + 8 * 1)); // fdstat: a stream socket with the guest's flags (NONBLOCK or 0)
  a.shiftRI(ShiftOp.SHL, 32, r10, 16);
  a.aluRI(AluOp.OR, 32, r10, Filetype.SOCKET_STREAM);
  adoptNewFd(a, rax, 2, V);
  a.bind(back);
  toJs(a, opIndex, slow);
}

/**
 * fd_close(fd) on a mirrored fd we own (FAST_FD.OWNS): the entry leaves the table, then close(2);
 * its failure is the answer with the fd gone, as jit/wasi's FdTable.close. Stdio handed in by the
 * embedder, unmirrored fds and fds >= MAX_FDS are JS's.
 */
function serveClose(a: Assembler, opIndex: number, slow: Label): void {
  const T = FAST_TABLE;
  const back = a.newLabel(), ok = a.newLabel();
  mirroredFd(a, 0, back);
  a.aluRI(AluOp.AND, 32, rax, FAST_FD.OPEN | FAST_FD.OWNS);
  a.aluRI(AluOp.CMP, 32, rax, FAST_FD.OPEN | FAST_FD.OWNS);
  a.jcc(Cond.NE, back);
  a.movMI(32, memIdx(r8, r9, 4, T.fds), -1);
  a.movMI(8, memIdx(r8, r9, 1, T.fdBits), 0);
  a.movMI(64, memIdx(r8, r9, 8, T.rights), 0);
  a.movMI(64, memIdx(r8, r9, 8, T.inheriting), 0);
  a.movMI(32, memIdx(r8, r9, 4, T.fdstat), 0);
  a.movMI(32, memIdx(r8, r9, 4, T.aheadLen), 0); // bytes read ahead go with the connection
  a.movMI(32, memIdx(r8, r9, 4, T.aheadErr), 0);
  a.unaryM(UnaryOp.INC, 64, mem(r8, T.changes));
  a.movRR(32, rdi, r11);
  a.movRI(32, rax, SYS.close);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.E, ok);
  wasiErrno(a);
  a.bind(ok);
  answer(a);
  a.bind(back);
  toJs(a, opIndex, slow);
}

// openat2(2): struct open_how {u64 flags, mode, resolve}; RESOLVE_BENEATH keeps the whole lookup
// (`..`, symlinks) under the directory fd, race-free in the kernel, as jit/wasi/at.ts's walk does
const O_NONBLOCK = 0o4000, O_NOCTTY = 0o400, O_NOFOLLOW = 0o400000, O_CLOEXEC = 0o2000000;
const RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_BENEATH = 0x08, OPEN_HOW_SIZE = 24;
const LOOKUP_SYMLINK_FOLLOW = 1;
/** Rights that make jit/wasi open the host file writable (fs.ts accessMode): JS's. */
const WRITE_RIGHTS = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE;

/**
 * path_open(dirfd, dirflags, path, pathLen, oflags, base, inheriting, fdflags, fdPtr) natively in
 * the one common case, a read-only open of an existing regular file: no oflags, no fdflags, no
 * write right asked, an ASCII path without NUL that neither starts nor ends with `/`, on a mirrored
 * directory with PATH_OPEN. openat2 with RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS from the
 * directory's host fd opens exactly what jit/wasi's walk (sandbox.ts) would let through (absolute
 * links and escapes fail there: EXDEV), O_NOFOLLOW without SYMLINK_FOLLOW, O_NONBLOCK so a FIFO
 * cannot block the open (left on the file: Linux ignores it for regular files, and the guest's
 * fdflags come from the table, not the host fd). The new fd gets path_open's rights (base &
 * the directory's inheriting & FILE_RIGHTS; inheriting & the directory's). Any failure, or
 * anything but a regular file (closed again: opening it had no effect), goes to JS, which walks
 * the path itself and answers exactly as before.
 */
function serveOpen(a: Assembler, opIndex: number, slow: Label, V: VmctxField, data: DataOp): void {
  const T = FAST_TABLE;
  const arg = (k: number): ReturnType<typeof mem> => mem(rsp, 8 + 8 * k);
  const back = a.newLabel(), copy = a.newLabel(), notFile = a.newLabel(), follow = a.newLabel();
  const path = T.scratch + SCRATCH.path, how = T.scratch + SCRATCH.how;
  mirroredFd(a, 0, back);
  a.testMI(32, memIdx(r8, r9, 4, T.fdstat), FDSTAT_DIR);
  a.jcc(Cond.E, back);                // not a directory: JS (NOTDIR)
  requireRights(a, r9, Rights.PATH_OPEN, back);
  a.aluMI(AluOp.CMP, 32, arg(4), 0);  // oflags
  a.jcc(Cond.NE, back);
  a.aluMI(AluOp.CMP, 32, arg(7), 0);  // fdflags
  a.jcc(Cond.NE, back);
  a.testMI(32, arg(1), ~LOOKUP_SYMLINK_FOLLOW);
  a.jcc(Cond.NE, back);
  a.movRM(64, rax, arg(5));
  a.movRI(64, rcx, WRITE_RIGHTS);
  a.testRR(64, rax, rcx);
  a.jcc(Cond.NE, back);
  a.movRM(32, rcx, arg(3));           // pathLen: 1 .. MAX_PATH - 1
  a.testRR(32, rcx, rcx);
  a.jcc(Cond.E, back);
  a.aluRI(AluOp.CMP, 32, rcx, T.MAX_PATH - 1);
  a.jcc(Cond.AE, back);
  a.movRM(32, rdx, arg(2));
  a.aluRR(AluOp.ADD, 64, rdx, rcx);
  a.aluRM(AluOp.CMP, 64, rdx, V('memorySize'));
  a.jcc(Cond.A, back);
  requireInMemory(a, 8, 4, back, V);
  lowestFreeFd(a, back);
  // the path into the table, NUL-terminated; NUL or a non-ASCII byte (JS checks UTF-8): JS
  a.movRM(32, rsi, arg(2));
  a.aluRM(AluOp.ADD, 64, rsi, V('memoryBase'));
  a.lea(64, rdi, mem(r8, path));
  a.movRM(32, rcx, arg(3));
  jumpIfByte(a, rsi, 0, '/', back);        // absolute: JS (PERM)
  a.bind(copy);
  a.movzxRM(32, 8, rax, mem(rsi, 0));
  a.testRR(32, rax, rax);
  a.jcc(Cond.E, back);
  a.testRI(32, rax, 0x80);
  a.jcc(Cond.NE, back);
  a.movMR(8, mem(rdi, 0), rax);
  a.unaryR(UnaryOp.INC, 64, rsi);
  a.unaryR(UnaryOp.INC, 64, rdi);
  a.unaryR(UnaryOp.DEC, 32, rcx);
  a.jcc(Cond.NE, copy);
  a.movMI(8, mem(rdi, 0), 0);
  jumpIfByte(a, rdi, -1, '/', back);       // a trailing slash (a directory only): JS
  // open_how
  a.movRI(32, rax, O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
  a.testMI(32, arg(1), LOOKUP_SYMLINK_FOLLOW);
  a.jcc(Cond.E, follow);
  a.aluRI(AluOp.AND, 32, rax, ~O_NOFOLLOW);
  a.bind(follow);
  a.movMR(64, mem(r8, how), rax);
  a.movMI(64, mem(r8, how + 8), 0);
  a.movMI(64, mem(r8, how + 16), RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  a.movRR(32, rdi, r11);              // the directory's host fd
  a.lea(64, rsi, mem(r8, path));
  a.lea(64, rdx, mem(r8, how));
  a.movRI(32, r10, OPEN_HOW_SIZE);
  a.movRI(32, rax, SYS.openat2);
  syscall(a);
  a.testRR(64, rax, rax);
  a.jcc(Cond.S, back);                // ENOENT, EXDEV (an escape), ELOOP, ENOSYS...: JS answers
  a.movRR(32, r12, rax);
  fstatRegular(a, r12, notFile);
  // its stat stays in scratch for an fd_filestat_get that comes next (wasi-libc's open() + fstat())
  data(SO_DATA.statCache, (m) => a.movMR(64, m, r8));
  a.movRM(32, rax, mem(r8, T.newFd));
  a.movMR(32, mem(r8, T.statFd), rax);
  // rights: base & dir inheriting & FILE_RIGHTS; inheriting & dir inheriting
  a.movRM(32, r9, arg(0));
  a.movRM(64, rax, memIdx(r8, r9, 8, T.inheriting));
  a.movRM(64, rdx, arg(5));
  a.aluRR(AluOp.AND, 64, rdx, rax);
  a.movRI(64, rcx, FILE_RIGHTS);
  a.aluRR(AluOp.AND, 64, rdx, rcx);
  a.movRM(64, rcx, arg(6));
  a.aluRR(AluOp.AND, 64, rcx, rax);
  a.movRI(32, rax, FAST_FD.OPEN | FAST_FD.OWNS | FAST_FD.FILE);
  a.movRI(32, r10, Filetype.REGULAR_FILE); // no fdflags: only fdflags 0 is served
  adoptNewFd(a, rax, 8, V);
  a.bind(notFile);
  a.movRR(32, rdi, r12);
  a.movRI(32, rax, SYS.close);
  syscall(a);
  a.bind(back);
  toJs(a, opIndex, slow);
}
