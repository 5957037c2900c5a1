// Node's own native bindings, reached through `process.binding` where that is the plain function,
// for the few values a warm `run` needs from modules whose JS costs more than the value: zlib's
// CRC-32 (node:zlib's JS loads Node's streams, ~5 ms of a start) and Linux's errno numbers
// (node:os, ~0.6 ms; os.constants *is* the constants binding's `os` object). process.binding is
// deprecated (documentation-only, DEP0111) but kept for its allowlisted modules; it is used only
// unwrapped (under --pending-deprecation Node wraps it to warn, and a user's flag must not make
// the CLI print) and not refused (the permission model); otherwise the public module, loaded on
// first use. docs/decisions.md, bench/results/startup.md.
import { createRequire } from 'node:module';
import type * as Os from 'node:os';

/** `process.binding(name)` when it is Node's plain function and answers, else undefined. */
export function plainBinding(name: 'zlib' | 'constants'): Record<string, unknown> | undefined {
  const bind = (process as unknown as { binding?: ((name: string) => unknown) & { name: string } }).binding;
  if (typeof bind !== 'function' || bind.name !== 'binding') return undefined;
  try {
    const b = bind(name);
    return typeof b === 'object' && b !== null ? b as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

// made on first use: createRequire may load node:module (see the CommonJS bundle's shim, jit/cli/bundle.ts)
let load: NodeRequire | undefined;
/** A builtin module, loaded on first need. */
export function builtin(name: string): unknown {
  return (load ??= createRequire(import.meta.url))(name);
}

/** node:os, loaded on first need (~0.6 ms of a start: a warm `run` takes what it needs elsewhere). */
export const nodeOs = (): typeof Os => builtin('node:os') as typeof Os;

let errno: Readonly<Record<string, number>> | undefined;

/** os.constants.errno: this system's errno numbers by name (ENOENT: 2, ...). */
export function errnoConstants(): Readonly<Record<string, number>> {
  if (errno !== undefined) return errno;
  const os = plainBinding('constants')?.os as { errno?: Record<string, number> } | undefined;
  return (errno = os?.errno ?? nodeOs().constants.errno);
}

let errnoNames: ReadonlyMap<number, string> | undefined;

/**
 * The name of this system's errno number `n` (2: 'ENOENT'), or undefined: the reverse of
 * errnoConstants, made on first use (only a failed host call asks; a start that makes the map
 * builds ~130 entries for nothing).
 */
export function errnoName(n: number): string | undefined {
  errnoNames ??= new Map(Object.entries(errnoConstants()).map(([name, v]) => [v, name]));
  return errnoNames.get(n);
}
