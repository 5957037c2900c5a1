// Loads the runtime's native object: dlopen()s the .so (trampolines + signal handler) through
// ffi-rs, from the bundle's directory (written by the build) or else from a private temp copy,
// reads the routine addresses with one kwasm_info call, and installs the signal handler on an
// alternate signal stack. Done once per process.
import { open, define, DataType } from './ffi.js';
import { mkdtempSync, writeFileSync, unlinkSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeOs } from '../node-binding.js';
import { SO_DATA, SONAME, INFO_FIELDS, INFO_TRAP_STUBS, INFO_SIZE, MAX_RANGES, type InfoField } from './so-layout.js';
import { runtimeObject, runtimeObjectFile } from './runtime-object.js';
import { fillBytes, mmapAnon, mprotect, sigaction, sigaltstack, view, PROT, PAGE_SIZE, SIGACTION, SA, STACK_T, SS_DISABLE } from './libc.js';
import { TRAP_SIGNALS, TRAP_STUB_COUNT } from '../../abi/traps.js';

export interface Native {
  /** kwasm_enter(vmctx) -> status (abi ENTRY_STATUS); one ffi crossing */
  enter(vmctx: bigint): number;
  /** kwasm_resume(vmctx) -> status; one ffi crossing */
  resume(vmctx: bigint): number;
  readonly addr: Readonly<Record<InfoField, bigint>>;
  readonly trapStubs: readonly bigint[];
  /** the .so data segment (code ranges, previous handlers) */
  readonly data: Buffer;
}

const LIB = 'kwasm_rt';
let loaded: Native | undefined;

export function native(): Native {
  if (loaded) return loaded;
  const shipped = runtimeObjectFile();
  if (shipped === undefined || !openShipped(shipped)) openTempCopy();
  const fns = define({
    kwasm_enter: { library: LIB, retType: DataType.I32, paramsType: [DataType.BigInt] },
    kwasm_resume: { library: LIB, retType: DataType.I32, paramsType: [DataType.BigInt] },
    kwasm_info: { library: LIB, retType: DataType.Void, paramsType: [DataType.BigInt] },
  });
  const scratchAddr = mmapAnon(BigInt(PAGE_SIZE), PROT.READ | PROT.WRITE);
  const scratch = view(scratchAddr, PAGE_SIZE);
  fns.kwasm_info([scratchAddr]);
  if (INFO_SIZE > PAGE_SIZE) throw new Error('native: info block too large');
  const addr = Object.fromEntries(INFO_FIELDS.map((f, i) => [f, scratch.readBigUInt64LE(8 * i)])) as Record<InfoField, bigint>;
  const trapStubs = Array.from({ length: TRAP_STUB_COUNT }, (_, k) => scratch.readBigUInt64LE(8 * (INFO_TRAP_STUBS + k)));
  const data = view(addr.data, SO_DATA.size);
  const enter = fns.kwasm_enter, resume = fns.kwasm_resume;
  loaded = {
    enter: (v) => enter([v]),
    resume: (v) => resume([v]),
    addr, trapStubs, data,
  };
  installSignalHandlers(loaded, scratchAddr, scratch);
  return loaded;
}

/** The bundle's .so where it lies (no copy); false if it cannot be mapped there (a noexec mount). */
function openShipped(path: string): boolean {
  try {
    open({ library: LIB, path });
    return true;
  } catch {
    return false;
  }
}

/** The .so written to a private temp file, dlopened, and removed (the mapping outlives it). */
function openTempCopy(): void {
  // A private directory; KWASM_RUNTIME_DIR overrides the parent when the temp dir is mounted noexec
  // (dlopen must map the text executable).
  const dir = mkdtempSync(join(process.env['KWASM_RUNTIME_DIR'] ?? nodeOs().tmpdir(), 'kwasm-rt-'));
  const path = join(dir, SONAME);
  try {
    writeFileSync(path, runtimeObject(), { mode: 0o600 });
    open({ library: LIB, path });
  } catch (e) {
    throw new Error(`cannot load the runtime object from ${dir} (noexec mount? set KWASM_RUNTIME_DIR): ${(e as Error).message}`);
  } finally {
    // one unlink and one rmdir (a recursive rmSync loads Node's rimraf module, ~1-2 ms of every start)
    try { unlinkSync(path); } catch { /* not written */ }
    rmdirSync(dir);
  }
}

const ALTSTACK_SIZE = 64 * 1024;

function installSignalHandlers(n: Native, scratchAddr: bigint, scratch: Buffer): void {
  // Alternate signal stack for this (the main) thread: a fault on a wasm stack's guard page
  // cannot run a handler on that same stack. Keep an existing one if something installed it.
  const ssAddr = scratchAddr + 1024n;
  sigaltstack(0n, ssAddr);
  if ((scratch.readInt32LE(1024 + STACK_T.flags) & SS_DISABLE) !== 0) {
    const base = mmapAnon(BigInt(ALTSTACK_SIZE + PAGE_SIZE), PROT.READ | PROT.WRITE);
    mprotect(base, BigInt(PAGE_SIZE), PROT.NONE); // guard below the alternate stack
    scratch.writeBigUInt64LE(base + BigInt(PAGE_SIZE), 1024 + STACK_T.sp);
    scratch.writeInt32LE(0, 1024 + STACK_T.flags);
    scratch.writeBigUInt64LE(BigInt(ALTSTACK_SIZE), 1024 + STACK_T.size);
    sigaltstack(ssAddr, 0n);
  }
  const actAddr = scratchAddr + 2048n, oldAddr = actAddr + BigInt(SIGACTION.size);
  fillBytes(scratch, 0, 2048, 2048 + 2 * SIGACTION.size);
  scratch.writeBigUInt64LE(n.addr.signalHandler, 2048 + SIGACTION.handler);
  // No SA_NODEFER: a fault inside the handler itself then kills the process instead of looping.
  scratch.writeInt32LE(SA.SIGINFO | SA.ONSTACK, 2048 + SIGACTION.flags);
  for (const sig of TRAP_SIGNALS) {
    // Record the previous handler before ours can run, so chaining never sees a stale slot.
    sigaction(sig, 0n, oldAddr);
    const prev = scratch.readBigUInt64LE(2048 + SIGACTION.size + SIGACTION.handler);
    if (prev === n.addr.signalHandler) continue;
    n.data.writeBigUInt64LE(prev, SO_DATA.prevHandlers + 8 * sig);
    sigaction(sig, actAddr, 0n);
  }
}

/** Registers [start, end) as compiled code: faults there become traps. Map it RX first. */
export function registerCodeRange(start: bigint, end: bigint): void {
  const d = native().data;
  const count = Number(d.readBigUInt64LE(SO_DATA.rangeCount));
  // reuse a freed slot (start == end == 0) before growing
  for (let i = 0; i < count; i++) {
    const at = SO_DATA.ranges + 16 * i;
    if (d.readBigUInt64LE(at) === 0n && d.readBigUInt64LE(at + 8) === 0n) {
      d.writeBigUInt64LE(end, at + 8); d.writeBigUInt64LE(start, at); return;
    }
  }
  if (count >= MAX_RANGES) throw new Error(`native: more than ${MAX_RANGES} code ranges`);
  const at = SO_DATA.ranges + 16 * count;
  d.writeBigUInt64LE(start, at); d.writeBigUInt64LE(end, at + 8);
  d.writeBigUInt64LE(BigInt(count + 1), SO_DATA.rangeCount);
}

export function unregisterCodeRange(start: bigint): void {
  const d = native().data;
  const count = Number(d.readBigUInt64LE(SO_DATA.rangeCount));
  for (let i = 0; i < count; i++) {
    const at = SO_DATA.ranges + 16 * i;
    if (d.readBigUInt64LE(at) === start) { d.writeBigUInt64LE(0n, at); d.writeBigUInt64LE(0n, at + 8); }
  }
}
