// Modules whose signatures have many parameters or results (issue #12: a host call with more
// than 64 slots used to overwrite the vmctx), shared by the user-space test
// (tests/runtime/many-slots.test.ts) and the ring-0 one (tests/kernel/guest/instance.guest.ts).
// Values are distinct per slot, so a slot lost, shifted or swapped shows.

/** the slot counts the issue names: around the old 64-slot area, and the JS API's 1,000 */
export const SLOT_COUNTS = [64, 65, 72, 100, 1000] as const;

export const argOf = (i: number): bigint => BigInt(i) * 0x100000001n + 7n;
export const resultOf = (i: number): bigint => BigInt(i) * 3n + 0x5000000000n;

const i64s = (n: number): string => Array(n).fill('i64').join(' ');
const consts = (n: number, v: (i: number) => bigint): string => Array.from({ length: n }, (_, i) => `(i64.const ${v(i)})`).join(' ');

/**
 * Exports of one module with slot count n:
 *   params(a0..an-1) -> i64: sum of a_i * (i + 1) (wrapping), so order matters
 *   results() -> n i64: resultOf(i)
 *   callParams() -> i64: calls import env.params with argOf(i), returns its result
 *   callResults() -> i64: calls import env.results, returns the weighted sum of its n results
 *   ind(i32) -> i32: a call_indirect through the table (funcref records must be intact)
 */
export function manySlotsWat(n: number, parts: { exports?: boolean; imports?: boolean; results?: boolean } = {}): string {
  const withResults = parts.results ?? true;
  const body: string[] = ['(module'];
  if (parts.imports ?? true) {
    body.push(`(import "env" "params" (func $p (param ${i64s(n)}) (result i64)))`);
    if (withResults) body.push(`(import "env" "results" (func $r (result ${i64s(n)})))`);
  }
  body.push('(type $v (func (param i32) (result i32)))', '(table 2 funcref) (elem (i32.const 0) $inc $dbl)');
  body.push('(func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))');
  body.push('(func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))');
  body.push('(func (export "ind") (param i32 i32) (result i32) (call_indirect (type $v) (local.get 1) (local.get 0)))');
  if (parts.exports ?? true) {
    const sum = Array.from({ length: n }, (_, i) => `(i64.mul (local.get ${i}) (i64.const ${i + 1})) i64.add`).join(' ');
    body.push(`(func (export "params") (param ${i64s(n)}) (result i64) (i64.const 0) ${sum})`);
    if (withResults) body.push(`(func (export "results") (result ${i64s(n)}) ${consts(n, resultOf)})`);
  }
  if (parts.imports ?? true) {
    body.push(`(func (export "callParams") (result i64) (call $p ${consts(n, argOf)}))`);
    if (withResults) {
      // the n results on the operand stack: fold them from the top (result n-1) down
      const locals = `(local ${i64s(n)})`;
      const store = Array.from({ length: n }, (_, i) => `(local.set ${n - 1 - i})`).join(' ');
      const sum = Array.from({ length: n }, (_, i) => `(i64.mul (local.get ${i}) (i64.const ${i + 1})) i64.add`).join(' ');
      body.push(`(func (export "callResults") (result i64) ${locals} (call $r) ${store} (i64.const 0) ${sum})`);
    }
  }
  body.push(')');
  return body.join('\n');
}

/** The weighted sum params() and callResults() compute, for values v(i). */
export function weighted(n: number, v: (i: number) => bigint): bigint {
  let s = 0n;
  for (let i = 0; i < n; i++) s = BigInt.asIntN(64, s + v(i) * BigInt(i + 1));
  return s;
}

/** Host imports that check what they receive: params() records its arguments. */
export function manySlotsImports(n: number, seen: { args?: bigint[] }): Record<string, Record<string, unknown>> {
  return {
    env: {
      params: (...a: bigint[]): bigint => { seen.args = a; return 77n; },
      results: (): bigint[] => Array.from({ length: n }, (_, i) => resultOf(i)),
    },
  };
}
