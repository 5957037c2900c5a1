// Labels are indices into flat arrays owned by the Assembler (positions and a
// linked list of pending fixups per label), so creating and binding a label
// allocates no objects.

/** A code label, created by `Assembler.newLabel()`. */
export type Label = number & { readonly __brand: 'Label' };

/** Condition codes: the low nibble of Jcc/SETcc/CMOVcc opcodes. */
export const enum Cond {
  O = 0, NO = 1,
  B = 2, AE = 3,   // unsigned <, >= (also C / NC)
  E = 4, NE = 5,   // == / != (also Z / NZ)
  BE = 6, A = 7,   // unsigned <=, >
  S = 8, NS = 9,
  P = 10, NP = 11, // parity: ucomis* sets PF on unordered (NaN)
  L = 12, GE = 13, // signed <, >=
  LE = 14, G = 15, // signed <=, >
}

/** The opposite condition: x86 pairs them so that flipping bit 0 negates. */
export function negate(c: Cond): Cond {
  return (c ^ 1) as Cond;
}

export const COND_NAMES: readonly string[] = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
