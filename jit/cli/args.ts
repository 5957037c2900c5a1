// Command-line parsing for `kwasm-jit run`, shaped like wasmtime's: options come first, the
// first non-option is the module, and everything after it belongs to the guest program (so
// `kwasm-jit run prog.wasm --help` passes `--help` to prog). `--name=value` and `--name value`
// are both accepted; `--` ends the options explicitly.
import { parseHostPort } from '../wasi/address.js';

/** A command line we refuse to run; the CLI prints the message and the usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Preopen {
  /** directory on the host, as given */
  host: string;
  /** name the guest sees (defaults to the host path, as in wasmtime) */
  guest: string;
}

export interface RunOptions {
  file: string;
  /** guest arguments after the module path */
  args: string[];
  dirs: Preopen[];
  /** in command-line order; a later NAME wins */
  env: [string, string][];
  invoke?: string;
  /** argv[0] for the guest (default: the module path as given) */
  argv0?: string;
  timeoutMs?: number;
  /** --tcplisten, in order: preopened listening sockets (guest fds 3, 4, ... before the dirs) */
  tcplisten: { host: string; port: number }[];
  trapUnknownImports: boolean;
  /** run in ring 0 through /dev/kwasm (kwasm.ko) */
  kernel: boolean;
  /** use the compiled-code cache (jit/cache/module-cache.ts); --no-cache turns it off */
  cache: boolean;
  help: boolean;
}

/** `-h` or `--help`: every subcommand takes it (for `run` only before FILE; after it, it is the program's). */
export function isHelpFlag(a: string): boolean {
  return a === '-h' || a === '--help';
}

type Flag = 'dir' | 'env' | 'invoke' | 'argv0' | 'timeout' | 'tcplisten' | 'trap-unknown-imports' | 'kernel' | 'no-cache' | 'help';
const TAKES_VALUE: ReadonlySet<Flag> = new Set(['dir', 'env', 'invoke', 'argv0', 'timeout', 'tcplisten']);
const FLAGS: ReadonlySet<string> = new Set<Flag>([...TAKES_VALUE, 'trap-unknown-imports', 'kernel', 'no-cache', 'help']);

/** `HOST[::GUEST]`. A single `:` is part of the path (wasmtime uses `::` for the same reason). */
function parseDir(spec: string): Preopen {
  const sep = spec.indexOf('::');
  const host = sep < 0 ? spec : spec.slice(0, sep);
  const guest = sep < 0 ? spec : spec.slice(sep + 2);
  if (host === '' || guest === '') throw new UsageError(`--dir ${JSON.stringify(spec)}: expected HOST or HOST::GUEST`);
  return { host, guest };
}

/** `NAME=VALUE` (VALUE may contain `=`), or `NAME` alone to pass the host's value through. */
function parseEnv(spec: string, hostEnv: NodeJS.ProcessEnv): [string, string] {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? spec : spec.slice(0, eq);
  if (name === '') throw new UsageError(`--env ${JSON.stringify(spec)}: expected NAME=VALUE or NAME`);
  if (eq >= 0) return [name, spec.slice(eq + 1)];
  const inherited = hostEnv[name];
  if (inherited === undefined) throw new UsageError(`--env ${name}: not set in the host environment`);
  return [name, inherited];
}

function parseTimeout(spec: string): number {
  // Milliseconds, as the issue asks; a plain integer so "10s" is not silently read as 10 ms.
  if (!/^\d+$/.test(spec) || Number(spec) <= 0) throw new UsageError(`--timeout ${JSON.stringify(spec)}: expected a positive number of milliseconds`);
  return Number(spec);
}

/** `HOST:PORT` with an IPv4 HOST (or localhost) and PORT 0-65535. */
function parseTcpListen(spec: string): { host: string; port: number } {
  try {
    return parseHostPort(spec);
  } catch (e) {
    throw new UsageError(`--tcplisten ${JSON.stringify(spec)}: ${(e as Error).message}`);
  }
}

export function parseRunArgs(argv: readonly string[], hostEnv: NodeJS.ProcessEnv = process.env): RunOptions {
  const o: RunOptions = { file: '', args: [], dirs: [], env: [], tcplisten: [], trapUnknownImports: false, kernel: false, cache: true, help: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (isHelpFlag(a)) { o.help = true; continue; }
    if (!a.startsWith('-') || a === '-') break;
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (!a.startsWith('--') || !FLAGS.has(name)) throw new UsageError(`unknown option ${JSON.stringify(eq < 0 ? a : a.slice(0, eq))}`);
    const flag = name as Flag;
    let value: string | undefined;
    if (TAKES_VALUE.has(flag)) {
      if (eq >= 0) value = a.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`option --${flag} needs a value`);
    } else if (eq >= 0) {
      throw new UsageError(`option --${flag} takes no value`);
    }
    switch (flag) {
      case 'dir': o.dirs.push(parseDir(value as string)); break;
      case 'env': o.env.push(parseEnv(value as string, hostEnv)); break;
      case 'invoke': o.invoke = value; break;
      case 'argv0': o.argv0 = value; break;
      case 'timeout': o.timeoutMs = parseTimeout(value as string); break;
      case 'tcplisten': o.tcplisten.push(parseTcpListen(value as string)); break;
      case 'trap-unknown-imports': o.trapUnknownImports = true; break;
      case 'kernel': o.kernel = true; break;
      case 'no-cache': o.cache = false; break;
      case 'help': break; // isHelpFlag above
    }
  }
  if (o.help) return o;
  if (i >= argv.length) throw new UsageError('missing FILE.wasm');
  o.file = argv[i];
  o.args = argv.slice(i + 1);
  return o;
}
