// Trap kinds across engines. kwasm-jit raises RuntimeError with the spec's own words (abi/traps.ts)
// and RangeError for stack exhaustion; V8 raises WebAssembly.RuntimeError with its own words and
// merges some kinds the spec keeps apart. This maps V8's words to the spec's, and both to the
// classes a comparison can rely on.

/** V8's message (a pattern) -> the spec's words. First match wins. */
const V8_MESSAGES: readonly [RegExp, string][] = [
  [/unreachable/, 'unreachable'],
  [/memory access out of bounds|data segment/, 'out of bounds memory access'],
  [/divide by zero|remainder by zero/, 'integer divide by zero'],
  [/divide result unrepresentable|integer overflow/, 'integer overflow'],
  [/float unrepresentable|invalid conversion/, 'invalid conversion to integer'],
  // V8 says this for a call_indirect index past the table and for table.get/set/init/copy alike
  [/table index is out of bounds|element segment|out of bounds/, 'undefined element'],
  // ... and this for a null entry and for a signature mismatch alike
  [/null function|signature mismatch/, 'indirect call type mismatch'],
  [/null/, 'null reference'],
];

/** The spec's words for a V8 trap; undefined when `err` is not a trap. */
export function v8TrapKind(err: unknown): string | undefined {
  if (err instanceof RangeError && /call stack/i.test(err.message)) return 'call stack exhausted';
  if (!(err instanceof WebAssembly.RuntimeError)) return undefined;
  for (const [re, kind] of V8_MESSAGES) if (re.test(err.message)) return kind;
  return `runtime error: ${err.message}`;
}

/** The spec's words for a kwasm-jit trap; undefined when `err` is not a trap. */
export function kwasmTrapKind(err: unknown): string | undefined {
  if (err instanceof RangeError && /call stack/i.test(err.message)) return 'call stack exhausted';
  return err instanceof Error && err.name === 'RuntimeError' ? err.message : undefined;
}

/** Spec kinds that V8 reports with one message: compared as one class. */
const CLASSES: Readonly<Record<string, string>> = {
  'out of bounds table access': 'undefined element',
  // V8's "float unrepresentable in integer range" is both of the spec's trunc traps (NaN: invalid
  // conversion, out of range: integer overflow)
  'invalid conversion to integer': 'integer overflow',
  'uninitialized element': 'indirect call type mismatch',
};

/** The class of a trap kind in the spec's words, as far as every engine can tell kinds apart. */
export function trapClass(kind: string): string {
  return CLASSES[kind] ?? kind;
}
