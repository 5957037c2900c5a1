// kwasm-jit command line. Subcommands live in a table so `run` and
// `compile` can be added as entries without touching the dispatch. Each command's module is
// imported only when that command runs: `run`'s start-up should not pay for the others.
import { readFileSync } from 'node:fs';
import { CompileError } from './errors.js';
import { isHelpFlag } from './cli/args.js';
import { nowMs } from './now.js';

export interface Subcommand {
  usage: string;
  summary: string;
  /** Returns the process exit code; `exiting`: main's (the process ends when it returns). */
  run(args: string[], exiting: boolean): number | Promise<number>;
}

const VALIDATE_HELP = `usage: kwasm-jit validate FILE.wasm

Decode and validate FILE.wasm against the features kwasm-jit supports, without compiling it.

options:
  -h, --help                 this text

exit status:
  0      valid (a one-line summary of the module is printed)
  1      invalid (the error and its kind are printed)
  2      command-line usage error or unreadable FILE`;

async function validateCmd(args: string[]): Promise<number> {
  if (args.some(isHelpFlag)) {
    console.log(VALIDATE_HELP);
    return 0;
  }
  const file = args[0];
  if (!file || args.length !== 1 || file.startsWith('-')) {
    console.error(`usage: kwasm-jit ${commands.validate.usage} (see kwasm-jit validate --help)`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    console.error(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  // the validator only here: `run` from the cache never loads it
  const { validateModule } = await import('./frontend/validator.js');
  const t0 = nowMs();
  try {
    const m = validateModule(bytes);
    const ms = nowMs() - t0;
    const own = m.funcTypeIndices.length - m.numImportedFuncs;
    console.log(`${file}: valid, ${bytes.length} bytes, ${m.types.length} types, ${m.imports.length} imports, ` +
      `${own} functions, ${m.tables.length} tables, ${m.memories.length} memories, ${m.globals.length} globals, ` +
      `${m.exports.length} exports, ${m.elems.length} elem and ${m.datas.length} data segments ` +
      `(decoded and validated in ${ms.toFixed(1)} ms)`);
    return 0;
  } catch (e) {
    if (e instanceof CompileError) {
      console.error(`${file}: ${e.kind}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

const commands: Record<string, Subcommand> = {
  validate: {
    usage: 'validate FILE.wasm',
    summary: 'decode and validate a module; exit 0 and a summary, or 1 and the error',
    run: validateCmd,
  },
  run: {
    usage: 'run [OPTIONS] FILE.wasm [ARGS...]',
    summary: 'run a WASI command or --invoke a function (kwasm-jit run --help for options, exit status)',
    run: async (args, exiting) => (await import('./cli/run.js')).runCmd(args, exiting),
  },
  compile: {
    usage: 'compile FILE.wasm [-o OUT.kwasm] [--disasm] [--func N|NAME]',
    summary: 'compile; print functions, code size and compile time (--disasm: capstone listing); -o: write the compiled module for `run OUT.kwasm`',
    run: async (args) => (await import('./cli/compile.js')).compileCmd(args),
  },
};

function help(): void {
  console.log('usage: kwasm-jit <command> [args]\n\ncommands:');
  for (const c of Object.values(commands)) console.log(`  ${c.usage}\n      ${c.summary}`);
  console.log(`  help [COMMAND], -h, --help\n      this text, or COMMAND's own (the same as kwasm-jit COMMAND --help)`);
}

/**
 * Runs the command line `argv` (without node and the script); returns the exit status. The caller
 * sets it: bin/kwasm-jit.js, through the bundle (code-cache.ts) or this tsc output. `exiting`: the
 * process ends as soon as this returns (bin/kwasm-jit.js), so teardown that would only give memory
 * back to the OS (unmapping a run's code, memory, stack) is left to the exit; an embedder calling
 * main more than once leaves it false.
 */
export async function main(argv: string[], exiting = false): Promise<number> {
  let [name, ...rest] = argv;
  // `help CMD` is `CMD --help`: each subcommand owns its help text (loaded with the command).
  if (name === 'help' && rest.length === 1) [name, rest] = [rest[0], ['--help']];
  if (name === undefined || isHelpFlag(name) || name === 'help') {
    help();
    return name === undefined ? 2 : 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`kwasm-jit: unknown command '${name}' (see --help)`);
    return 2;
  }
  return cmd.run(rest, exiting);
}
