// Errors raised while loading a module. The spec distinguishes three stages
// (decode, validate, link/instantiate) and its tests check a module is
// rejected at the right one, so a CompileError says which stage found the
// problem: `malformed` (the bytes are not a module) or `invalid` (well-formed
// but ill-typed).

// `unsupported`: valid wasm this runtime does not implement yet (SIMD).
export type CompileErrorKind = 'malformed' | 'invalid' | 'unsupported';

export class CompileError extends Error {
  /** Byte offset in the module where the problem was found. */
  readonly offset: number;
  /** Index (in the function index space) of the function being read, or -1. */
  readonly funcIndex: number;
  readonly kind: CompileErrorKind;
  /** The bare reason, worded like the spec interpreter (e.g. "type mismatch"). */
  readonly reason: string;

  constructor(kind: CompileErrorKind, reason: string, offset: number, funcIndex = -1) {
    const where = funcIndex >= 0 ? `func ${funcIndex} ` : '';
    super(`${reason} (${where}at offset 0x${offset.toString(16)})`);
    this.name = 'CompileError';
    this.kind = kind;
    this.reason = reason;
    this.offset = offset;
    this.funcIndex = funcIndex;
  }
}

/** Raised when imports do not match (filled in by instantiation). */
export class LinkError extends Error {
  constructor(message: string) { super(message); this.name = 'LinkError'; }
}

/** A trap or other failure while running wasm code. */
export class RuntimeError extends Error {
  constructor(message: string) { super(message); this.name = 'RuntimeError'; }
}

export function malformed(reason: string, offset: number, funcIndex = -1): CompileError {
  return new CompileError('malformed', reason, offset, funcIndex);
}

export function invalid(reason: string, offset: number, funcIndex = -1): CompileError {
  return new CompileError('invalid', reason, offset, funcIndex);
}
