// Execution commands of the spec scripts: actions, assert_return (exact bits, or the NaN
// patterns nan:canonical / nan:arithmetic), assert_trap / assert_exhaustion (a trap with the
// expected message prefix), assert_unlinkable / assert_uninstantiable, register.
import { LinkError, RuntimeError } from '../../jit/errors.js';
import type { EngineInstance, SpecValue } from './engine.js';
import { LANE_BITS } from './v128.js';
import { moduleBytes, type Command, type FileContext, type Handler, type Outcome } from './runner.js';

function target(cmd: Command, ctx: FileContext): EngineInstance {
  const name = cmd.action?.module;
  const inst = name ? ctx.named.get(name) : ctx.current;
  if (!inst) throw new Error(`no module ${name ?? '(current)'}`);
  return inst;
}

function perform(cmd: Command, ctx: FileContext): SpecValue[] {
  const a = cmd.action!;
  const e = ctx.engine!;
  if (a.type === 'get') return [e.get(target(cmd, ctx), a.field)];
  return e.invoke(target(cmd, ctx), a.field, a.args ?? []);
}

const CANON32 = 0x7fc00000n, CANON64 = 0x7ff8000000000000n;

/** A float's bits against an expected bit pattern or NaN pattern. */
function floatMatches(is32: boolean, b: bigint, v: string): boolean {
  const abs = b & (is32 ? 0x7fffffffn : 0x7fffffffffffffffn);
  const canon = is32 ? CANON32 : CANON64;
  if (v === 'nan:canonical') return abs === canon;
  if (v === 'nan:arithmetic') return (abs & canon) === canon;
  return b === BigInt(v);
}


/** v128: lane by lane in the expected lane shape (each float lane may be a NaN pattern). */
function v128Matches(exp: SpecValue, got: bigint): boolean {
  const shape = exp.lane_type as string, w = LANE_BITS[shape], lanes = exp.value as string[];
  for (let i = 0; i < lanes.length; i++) {
    const lane = BigInt.asUintN(w, got >> BigInt(w * i));
    const ok = shape === 'f32' || shape === 'f64' ? floatMatches(shape === 'f32', lane, lanes[i]) : lane === BigInt.asUintN(w, BigInt(lanes[i]));
    if (!ok) return false;
  }
  return true;
}

function matches(exp: SpecValue, got: SpecValue): boolean {
  if (exp.type !== got.type) return false;
  const v = exp.value as string | undefined;
  if (exp.type === 'f32' || exp.type === 'f64') return floatMatches(exp.type === 'f32', BigInt(got.value as string), v as string);
  if (exp.type === 'v128') return v128Matches(exp, BigInt(got.value as string));
  if (exp.type === 'funcref' && v === undefined) return got.value !== 'null';
  return v === got.value;
}

const show = (vs: SpecValue[]): string => vs.map((v) => {
  if (v.type === 'v128' && typeof v.value === 'string') return `v128:0x${BigInt(v.value).toString(16).padStart(32, '0')}`;
  return `${v.type}${v.lane_type ? `.${v.lane_type}` : ''}:${String(v.value)}`;
}).join(' ');
const message = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

const action: Handler = (cmd, ctx) => {
  try { perform(cmd, ctx); return { status: 'passed' }; } catch (e) { return { status: 'failed', detail: message(e) }; }
};

const assertReturn: Handler = (cmd, ctx) => {
  let got: SpecValue[];
  try { got = perform(cmd, ctx); } catch (e) { return { status: 'failed', detail: message(e) }; }
  const exp = cmd.expected ?? [];
  if (got.length === exp.length && exp.every((x, i) => matches(x, got[i]))) return { status: 'passed' };
  return { status: 'failed', detail: `${cmd.action?.field}: got ${show(got)}, expected ${show(exp)}` };
};

function expectError(kind: 'trap' | 'exhaustion'): Handler {
  return (cmd, ctx) => {
    try {
      const got = perform(cmd, ctx);
      return { status: 'failed', detail: `${cmd.action?.field}: returned ${show(got)}, expected ${kind} "${cmd.text}"` };
    } catch (e) {
      const ok = kind === 'trap' ? e instanceof RuntimeError : e instanceof RangeError;
      if (!ok) return { status: 'failed', detail: `${cmd.action?.field}: ${message(e)}, expected ${kind} "${cmd.text}"` };
      return { status: 'passed', textMismatch: !(e as Error).message.startsWith(cmd.text ?? '') };
    }
  };
}

function expectInstantiationError(kind: 'link' | 'trap'): Handler {
  return (cmd, ctx): Outcome => {
    const bytes = moduleBytes(cmd, ctx);
    try {
      ctx.engine!.instantiate(bytes);
      return { status: 'failed', detail: `instantiated, expected ${kind} error "${cmd.text}"` };
    } catch (e) {
      const ok = kind === 'link' ? e instanceof LinkError : e instanceof RuntimeError;
      if (!ok) return { status: 'failed', detail: `${message(e)}, expected ${kind} error "${cmd.text}"` };
      return { status: 'passed', textMismatch: !(e as Error).message.startsWith(cmd.text ?? '') };
    }
  };
}

const register: Handler = (cmd, ctx) => {
  const inst = cmd.name ? ctx.named.get(cmd.name) : ctx.current;
  if (!inst) return { status: 'failed', detail: `no module ${cmd.name ?? '(current)'}` };
  ctx.engine!.register(cmd.as as string, inst);
  return { status: 'passed' };
};

/** Handlers for the execution commands, used when the runner has an engine. */
export const execHandlers: Record<string, Handler> = {
  register,
  action,
  assert_return: assertReturn,
  assert_trap: expectError('trap'),
  assert_exhaustion: expectError('exhaustion'),
  assert_unlinkable: expectInstantiationError('link'),
  assert_uninstantiable: expectInstantiationError('trap'),
};
