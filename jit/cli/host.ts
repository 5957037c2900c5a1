// What both `run` paths (user mode in run.ts, ring 0 in kernel.ts) give a program from the host:
// the WASI instance built from the command line, and the trapping stand-ins that
// --trap-unknown-imports puts in place of missing function imports.
import type { RunOptions } from './args.js';
import type { WASI } from '../wasi/index.js';

export type Imports = Record<string, Record<string, unknown>>;

export function say(msg: string): void {
  process.stderr.write(`kwasm-jit: ${msg}\n`);
}

/** What a function import provided by --trap-unknown-imports throws when called. */
export class UnknownImportCalled extends Error {
  constructor(readonly importName: string) {
    super(`call to unknown import ${importName}`);
  }
}

/**
 * The WASI instance for a module that imports wasi_snapshot_preview1 (undefined for one that does
 * not), or an Error when the options cannot be honoured (a --dir that is not a directory).
 */
export async function wasiFor(o: RunOptions, imports: readonly { module: string }[]): Promise<WASI | undefined | Error> {
  if (!imports.some((x) => x.module === 'wasi_snapshot_preview1')) return undefined;
  const { WASI } = await import('../wasi/index.js');
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
