// What both `run` paths (user mode in run.ts, ring 0 in kernel.ts) give a program from the host:
// the WASI instance built from the command line, and the trapping stand-ins that
// --trap-unknown-imports puts in place of missing function imports.
import type { RunOptions } from './args.js';
import { WASI } from '../wasi/index.js';
import type { ModuleInfo } from '../frontend/types.js';

export type Imports = Record<string, Record<string, unknown>>;

export function say(msg: string): void {
  process.stderr.write(`kwasm-jit: ${printable(msg, true)}\n`);
}

/**
 * `s` with control characters (C0 but, with `lines`, newline and tab; DEL; C1) written as \xNN:
 * names printed to the terminal (imports, exports, the name section's function names) are chosen
 * by the module, and an escape sequence in one must not drive the user's terminal.
 */
export function printable(s: string, lines = false): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (lines && (c === '\n' || c === '\t') ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** What a function import provided by --trap-unknown-imports throws when called. */
export class UnknownImportCalled extends Error {
  constructor(readonly importName: string) {
    super(`call to unknown import ${importName}`);
  }
}

/**
 * The WASI instance for a module that imports wasi_snapshot_preview1 (undefined for one that does
 * not), or an Error when the module or the options cannot be run: no exported memory (every WASI
 * call reads it), a command without `_start` (unless --invoke names another export), a --dir
 * that is not a directory. Checked before instantiation, so nothing of the module runs.
 */
export async function wasiFor(o: RunOptions, info: Pick<ModuleInfo, 'imports' | 'exports'>): Promise<WASI | undefined | Error> {
  if (!info.imports.some((x) => x.module === 'wasi_snapshot_preview1')) return undefined;
  const exported = (name: string, kind: string): boolean => info.exports.some((e) => e.name === name && e.kind === kind);
  if (!exported('memory', 'memory')) return new Error(`${o.file}: a WASI module must export its memory as "memory"`);
  if (o.invoke === undefined && !exported('_start', 'func')) {
    return new Error(`${o.file}: a WASI command must export a function "_start" (or use --invoke NAME)`);
  }
  // LISTEN_FDS=N tells the program how many listeners follow stdio (an explicit --env wins).
  // wasmtime sets it only for --listenfd (inherited systemd sockets), not for --tcplisten.
  const env: [string, string][] = o.tcplisten.length > 0 ? [['LISTEN_FDS', String(o.tcplisten.length)], ...o.env] : o.env;
  try {
    return new WASI({
      args: [o.argv0 ?? o.file, ...o.args],
      env: Object.fromEntries(env),
      listeners: o.tcplisten,
      preopens: Object.fromEntries(o.dirs.map((d) => [d.guest, d.host])),
      returnOnExit: true,
    });
  } catch (e) {
    const listen = e instanceof Error && e.name === 'ListenError';
    return new Error(`${listen ? '--tcplisten' : '--dir'}: ${(e as Error).message}`);
  }
}

/** --trap-unknown-imports: every function import nobody provides traps when called. */
export function addTrappingImports(imports: Imports, wanted: readonly { module: string; name: string; desc: { kind: string } }[]): void {
  for (const imp of wanted) {
    if (imp.desc.kind !== 'func') continue; // tables, memories, globals stay link errors
    const ns = (imports[imp.module] ??= {});
    if (ns[imp.name] !== undefined) continue;
    const label = `${imp.module}::${imp.name}`;
    ns[imp.name] = () => { throw new UnknownImportCalled(label); };
  }
}
