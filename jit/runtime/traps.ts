// Trap: the exception a wasm trap becomes in TypeScript, and the classification of hardware
// faults (the signal path records only signal, fault address and pc; deciding what they mean is
// cheaper and clearer here than in the handler's machine code).
import { TrapCode, trapInfo, SIG, type TrapKind } from '../../abi/traps.js';

export interface TrapDetails {
  code: number;
  /** faulting pc (signal) or the return address of the trap-stub call */
  pc: bigint;
  /** signal number for a hardware fault, 0 for a trap stub */
  signal: number;
  /** si_addr of the fault (data address for SIGSEGV/SIGBUS) */
  faultAddress: bigint;
  /** offset of pc in its code blob, and the blob's function index containing it, when known */
  codeOffset?: number;
  functionIndex?: number;
}

export class Trap extends Error {
  readonly kind: TrapKind;
  readonly code: number;
  readonly pc: bigint;
  readonly signal: number;
  readonly faultAddress: bigint;
  readonly codeOffset: number | undefined;
  readonly functionIndex: number | undefined;

  constructor(d: TrapDetails) {
    const info = trapInfo(d.code);
    super(info.message);
    this.name = 'Trap';
    this.kind = info.name as TrapKind;
    this.code = d.code;
    this.pc = d.pc;
    this.signal = d.signal;
    this.faultAddress = d.faultAddress;
    this.codeOffset = d.codeOffset;
    this.functionIndex = d.functionIndex;
  }
}

export interface FaultRegions {
  /** [lo, hi) of the wasm stack's guard region plus its safety margin */
  stackGuard: readonly [bigint, bigint];
}

/** Which trap a hardware fault in compiled code is (see abi/traps.ts TRAP_SIGNALS). */
export function classifyFault(signal: number, faultAddress: bigint, regions: FaultRegions): number {
  switch (signal) {
    case SIG.SIGSEGV:
    case SIG.SIGBUS: {
      const [lo, hi] = regions.stackGuard;
      return faultAddress >= lo && faultAddress < hi ? TrapCode.stackOverflow : TrapCode.memoryOutOfBounds;
    }
    case SIG.SIGILL: return TrapCode.unreachable;
    case SIG.SIGFPE: return TrapCode.integerDivideByZero;
    default: throw new Error(`unexpected signal ${signal} in compiled code`);
  }
}
