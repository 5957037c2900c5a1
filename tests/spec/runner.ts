// Runs the commands of one converted .wast file through a table of handlers
// keyed by command type. This issue implements the decode/validate commands;
// execution commands go to an Engine when one is plugged in and are pending
// otherwise, so the next issue adds execution by filling in handlers, not by
// restructuring the runner.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CompileError } from '../../jit/errors.js';
import { validateModule } from '../../jit/frontend/validator.js';
import type { Engine, EngineInstance, SpecValue } from './engine.js';
import { execHandlers } from './exec.js';

export interface Command {
  type: string;
  line: number;
  filename?: string;
  module_type?: 'binary' | 'text';
  text?: string;
  name?: string;
  as?: string;
  action?: { type: string; module?: string; field: string; args?: SpecValue[] };
  expected?: SpecValue[];
}

export type Status = 'passed' | 'failed' | 'skipped' | 'pending';

export interface Outcome {
  status: Status;
  /** Why it failed (or was skipped). */
  detail?: string;
  /** For rejected modules: the expected text was not a prefix of our reason. */
  textMismatch?: boolean;
}

export interface FileContext {
  dir: string;
  engine: Engine | null;
  /** The current module (last `module` command) and named ones, for the engine. */
  current: EngineInstance | null;
  named: Map<string, EngineInstance>;
  /** Module bytes by file name, read in one go (the kernel VM stage: one 9p read per script, not one per module). */
  modules?: ReadonlyMap<string, Uint8Array>;
  /** The engine's instantiate compiles, which validates: no separate pass (the kernel VM stage, where it costs ~2 ms a module). */
  engineValidates?: boolean;
}

export type Handler = (cmd: Command, ctx: FileContext) => Outcome;

export function moduleBytes(cmd: Command, ctx: FileContext): Uint8Array {
  return ctx.modules?.get(cmd.filename as string) ?? readFileSync(join(ctx.dir, cmd.filename as string));
}

/** Shared by assert_malformed and assert_invalid: rejected at the right stage? */
function expectRejected(stage: 'malformed' | 'invalid'): Handler {
  return (cmd, ctx) => {
    if (cmd.module_type === 'text') return { status: 'skipped', detail: 'text format' };
    try {
      validateModule(moduleBytes(cmd, ctx));
    } catch (e) {
      if (!(e instanceof CompileError)) return { status: 'failed', detail: `crashed: ${String(e)}` };
      if (e.kind !== stage) return { status: 'failed', detail: `rejected as ${e.kind}: ${e.message}` };
      const want = cmd.text ?? '';
      return { status: 'passed', textMismatch: !e.reason.startsWith(want) };
    }
    return { status: 'failed', detail: `accepted, expected ${stage}: "${cmd.text}"` };
  };
}

/**
 * Without an engine a module is still decoded and validated: every module the
 * spec instantiates is valid, so rejecting one is a real failure. Its
 * instantiation is what remains pending.
 */
const moduleCommand: Handler = (cmd, ctx) => {
  let bytes: Uint8Array;
  try {
    bytes = moduleBytes(cmd, ctx);
    if (!(ctx.engine && ctx.engineValidates)) validateModule(bytes);
  } catch (e) {
    return { status: 'failed', detail: `valid module rejected: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!ctx.engine) return { status: 'pending' };
  try {
    ctx.current = ctx.engine.instantiate(bytes);
    if (cmd.name) ctx.named.set(cmd.name, ctx.current);
    return { status: 'passed' };
  } catch (e) {
    return { status: 'failed', detail: e instanceof Error ? e.message : String(e) };
  }
};

/** Execution commands: pending until an engine implements them. */
const pending: Handler = () => ({ status: 'pending' });

export const handlers: Record<string, Handler> = {
  assert_malformed: expectRejected('malformed'),
  assert_invalid: expectRejected('invalid'),
  module: moduleCommand,
  register: pending,
  action: pending,
  assert_return: pending,
  assert_trap: pending,
  assert_exhaustion: pending,
  assert_unlinkable: pending,
  assert_uninstantiable: pending,
};

export interface FileResult {
  name: string;
  counts: Record<Status, number>;
  textMismatches: number;
  failures: string[];
}

export function runFile(name: string, jsonPath: string, engine: Engine | null = null): FileResult {
  const script = JSON.parse(readFileSync(jsonPath, 'utf8')) as { commands: Command[] };
  const ctx: FileContext = { dir: dirname(jsonPath), engine, current: null, named: new Map() };
  const res: FileResult = { name, counts: { passed: 0, failed: 0, skipped: 0, pending: 0 }, textMismatches: 0, failures: [] };
  for (const cmd of script.commands) {
    const h = (engine && execHandlers[cmd.type]) || handlers[cmd.type];
    const out: Outcome = h ? h(cmd, ctx) : { status: 'failed', detail: `unknown command ${cmd.type}` };
    res.counts[out.status]++;
    if (out.textMismatch) res.textMismatches++;
    if (out.status === 'failed') res.failures.push(`${name}.wast:${cmd.line} ${cmd.type}: ${out.detail}`);
  }
  return res;
}
