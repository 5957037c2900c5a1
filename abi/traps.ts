// Trap codes: the numbers compiled code, the trampolines, the signal path and the kernel module
// agree on, with the messages the wasm spec test suite expects (assert_trap text).

export interface TrapKindInfo {
  readonly code: number;
  readonly name: string;
  /** spec-suite message (assert_trap / assert_exhaustion text) */
  readonly message: string;
}

// Table order is the code; 0 means "no trap" so a zeroed vmctx reads as clean.
const KINDS = [
  ['none', 'no trap'],
  ['unreachable', 'unreachable'],
  ['memoryOutOfBounds', 'out of bounds memory access'],
  ['integerDivideByZero', 'integer divide by zero'],
  ['integerOverflow', 'integer overflow'],
  ['invalidConversion', 'invalid conversion to integer'],
  ['indirectCallTypeMismatch', 'indirect call type mismatch'],
  ['undefinedElement', 'undefined element'],
  ['uninitializedElement', 'uninitialized element'],
  ['stackOverflow', 'call stack exhausted'],
  ['interrupted', 'interrupted'],
  ['tableOutOfBounds', 'out of bounds table access'],
  ['nullReference', 'null reference'],
  ['hostError', 'host function failed'],
] as const;

export type TrapKind = (typeof KINDS)[number][0];

export const TRAP_KINDS: readonly TrapKindInfo[] = KINDS.map(([name, message], code) => ({ code, name, message }));

export const TrapCode = Object.fromEntries(TRAP_KINDS.map((k) => [k.name, k.code])) as Record<TrapKind, number>;

/** Number of trap stub slots in vmctx (one per code, including "none" so indices equal codes). */
export const TRAP_STUB_COUNT = 16;
if (TRAP_KINDS.length > TRAP_STUB_COUNT) throw new Error('abi/traps: more trap kinds than stub slots');

export function trapInfo(code: number): TrapKindInfo {
  const k = TRAP_KINDS[code];
  if (!k) throw new RangeError(`unknown trap code ${code}`);
  return k;
}

/**
 * Signals the runtime turns into traps when the faulting pc is in compiled code.
 * Which trap a signal means is decided after the unwind (see jit/runtime/traps.ts):
 * SIGSEGV/SIGBUS inside the wasm stack guard is a stack overflow, otherwise out-of-bounds memory;
 * SIGILL is `ud2` = unreachable; SIGFPE is #DE = divide by zero (x86 raises #DE for INT_MIN/-1 too,
 * so the compiler must test that case explicitly to report "integer overflow").
 */
export const SIG = { SIGILL: 4, SIGBUS: 7, SIGFPE: 8, SIGSEGV: 11 } as const;
export const TRAP_SIGNALS: readonly number[] = [SIG.SIGSEGV, SIG.SIGBUS, SIG.SIGILL, SIG.SIGFPE];
