// Loads the runtime's native object: dlopen()s the .so (trampolines + signal handler) through
// ffi-rs, from the bundle's directory (written by the build) or else from a private temp copy,
// and makes one kwasm_setup call: the routine addresses, the alternate signal stack and the signal
// handler (trampolines.ts kwasmSetup). Done once per process.
import { open, define, DataType } from './ffi.js';
import { mkdtempSync, writeFileSync, unlinkSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeOs, errnoName } from '../node-binding.js';
import { SO_DATA, SONAME, INFO_FIELDS, INFO_TRAP_STUBS, MAX_RANGES, SETUP_STEPS, type InfoField } from './so-layout.js';
import { runtimeObject, runtimeObjectFile } from './runtime-object.js';
import { view, LibcError } from './libc.js';
import { wordsOf } from '../bytes.js';
import { TRAP_STUB_COUNT } from '../../abi/traps.js';

export interface Native {
  /** kwasm_enter(vmctx) -> status (abi ENTRY_STATUS); one ffi crossing */
  enter(vmctx: bigint): number;
  /** kwasm_resume(vmctx) -> status; one ffi crossing */
  resume(vmctx: bigint): number;
  readonly addr: Readonly<Record<InfoField, bigint>>;
  readonly trapStubs: readonly bigint[];
  /** the .so data segment (code ranges, previous handlers) */
  readonly data: Buffer;
  /** `data`'s little-endian words (jit/bytes.ts wordsOf) */
  readonly words: DataView;
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
    kwasm_setup: { library: LIB, retType: DataType.BigInt, paramsType: [] },
  });
  // One crossing for the info block, the alternate signal stack and the trap signals' handler
  // (trampolines.ts kwasmSetup): each ffi-rs call costs ~70K instructions, and this was 15 of
  // them (a scratch mapping and its view, kwasm_info, sigaltstack x2, mmap + mprotect of the
  // alternate stack, sigaction x8).
  const r = fns.kwasm_setup([]) as bigint;
  if (r < 0n) {
    const code = Number(-r), errno = code & 0xffff;
    const fn = SETUP_STEPS[(code >> 16) - 1] ?? 'setup';
    throw new LibcError(fn, errno, `the runtime's setup failed: ${errnoName(errno) ?? 'unknown error'}`);
  }
  const data = view(r, SO_DATA.size), words = wordsOf(data);
  const addr = Object.fromEntries(INFO_FIELDS.map((f, i) => [f, words.getBigUint64(SO_DATA.info + 8 * i, true)])) as Record<InfoField, bigint>;
  const trapStubs = Array.from({ length: TRAP_STUB_COUNT }, (_, k) => words.getBigUint64(SO_DATA.info + 8 * (INFO_TRAP_STUBS + k), true));
  const enter = fns.kwasm_enter, resume = fns.kwasm_resume;
  loaded = {
    enter: (v) => enter([v]),
    resume: (v) => resume([v]),
    addr, trapStubs, data, words,
  };
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

/** Registers [start, end) as compiled code: faults there become traps. Map it RX first. */
export function registerCodeRange(start: bigint, end: bigint): void {
  const d = native().words;
  const count = Number(d.getBigUint64(SO_DATA.rangeCount, true));
  // reuse a freed slot (start == end == 0) before growing
  for (let i = 0; i < count; i++) {
    const at = SO_DATA.ranges + 16 * i;
    if (d.getBigUint64(at, true) === 0n && d.getBigUint64(at + 8, true) === 0n) {
      d.setBigUint64(at + 8, end, true); d.setBigUint64(at, start, true); return;
    }
  }
  if (count >= MAX_RANGES) throw new Error(`native: more than ${MAX_RANGES} code ranges`);
  const at = SO_DATA.ranges + 16 * count;
  d.setBigUint64(at, start, true); d.setBigUint64(at + 8, end, true);
  d.setBigUint64(SO_DATA.rangeCount, BigInt(count + 1), true);
}

export function unregisterCodeRange(start: bigint): void {
  const d = native().words;
  const count = Number(d.getBigUint64(SO_DATA.rangeCount, true));
  for (let i = 0; i < count; i++) {
    const at = SO_DATA.ranges + 16 * i;
    if (d.getBigUint64(at, true) === start) { d.setBigUint64(at, 0n, true); d.setBigUint64(at + 8, 0n, true); }
  }
}
