// One module, two engines: instantiate it (instrumented, see instrument.ts) with the logger
// (logger.ts) under each, call every export as binaryen's own fuzz harness does (arguments zero,
// `hangLimitInitializer` first so -ttf's loop and recursion budget starts full), and after each call
// compare what the engines observed: the results or the trap class, the log (count and hash), every
// global and the memory hash. NaN-aware: a NaN equals any NaN of its type.
//
// Works on the spec runner's Engine interface, so V8, kwasm-jit in user space and kwasm-jit in
// ring 0 (tests/kernel/guest/kernel-engine.ts) plug in alike.
import { decodeModule } from '../../jit/frontend/decoder.js';
import type { Engine, EngineInstance, SpecValue } from '../spec/engine.js';
import { GLOBAL_PREFIX, MEMORY_HASH, instrument } from './instrument.js';
import { LOG_KEEP, LOG_TAGS, LOGGER_MODULE, loggerModule } from './logger.js';
import { trapClass } from './trap-kinds.js';
import { VALTYPE_NAMES } from './v8-engine.js';

export const HANG_LIMIT_INIT = 'hangLimitInitializer';

/** What one engine saw, as comparable text. */
export interface Observation {
  /** `ok i32:5 f64:nan`, `trap: CLASS`, `error: MESSAGE` */
  outcome: string;
  log: string;
  state: string[];
}

export interface ExportResult {
  name: string;
  ref: Observation;
  test: Observation;
  /** the first field that differs, undefined when the engines agree */
  difference?: string;
  /** with a difference: the first log entries of this call on each side */
  logs?: { ref: string[]; test: string[] };
}

export interface ModuleResult {
  /** instantiation outcome on both, when it differs the module is a finding with no exports run */
  instantiate: { ref: string; test: string; difference?: string };
  exports: ExportResult[];
  /** exports not compared: after one that exhausted the stack on the reference, state diverges legitimately */
  skipped: number;
  /** the tested engine declined something it does not support yet (ring 0): the module stops there */
  unsupported?: string;
}

/** Each engine's trap -> the spec's words; the harness compares classes (trap-kinds.ts). */
export type TrapKindOf = (err: unknown) => string | undefined;

export interface Side {
  engine: Engine;
  trapKind: TrapKindOf;
  /** an error that says "not supported (yet)" rather than "wrong": counted, not a finding */
  unsupported?: (err: unknown) => boolean;
}

const UNSUPPORTED = 'unsupported: ';

/** Called before each engine starts an export (progress for a watchdog in another process). */
export type PhaseHook = (exportName: string, side: 'ref' | 'test') => void;

function isNanBits(type: string, value: string): boolean {
  if (type === 'f32') { const b = Number(value); return (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0; }
  if (type === 'f64') { const b = BigInt(value); return (b & 0x7ff0000000000000n) === 0x7ff0000000000000n && (b & 0xfffffffffffffn) !== 0n; }
  return false;
}

/** A value as text, every NaN of a type written the same. */
export function showValue(v: SpecValue): string {
  const value = Array.isArray(v.value) ? v.value.join(',') : String(v.value);
  return `${v.type}:${isNanBits(v.type, value) ? 'nan' : value}`;
}

function describe(side: Side, f: () => SpecValue[]): string {
  try {
    return `ok ${f().map(showValue).join(' ')}`.trimEnd();
  } catch (e) {
    const kind = side.trapKind(e);
    if (kind !== undefined) return `trap: ${trapClass(kind)}`;
    if (side.unsupported?.(e)) return `${UNSUPPORTED}${e instanceof Error ? e.message : String(e)}`;
    return `error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

interface Live { side: Side; logger: EngineInstance; instance?: EngineInstance; instantiated: string }

function start(side: Side, bytes: Uint8Array): Live {
  const logger = side.engine.instantiate(loggerModule());
  side.engine.register(LOGGER_MODULE, logger);
  let instance: EngineInstance | undefined;
  const instantiated = describe(side, () => { instance = side.engine.instantiate(bytes); return []; });
  return { side, logger, instance, instantiated };
}

function observe(live: Live, name: string, params: readonly SpecValue[], getters: readonly string[], hangInit: boolean): Observation {
  const { engine } = live.side;
  const inst = live.instance as EngineInstance;
  engine.invoke(live.logger, 'fuzz:log-reset', []);
  if (hangInit) engine.invoke(inst, HANG_LIMIT_INIT, []);
  const outcome = describe(live.side, () => engine.invoke(inst, name, [...params]));
  const count = Number(engine.invoke(live.logger, 'fuzz:log-count', [])[0].value);
  const hash = String(engine.invoke(live.logger, 'fuzz:log-hash', [])[0].value);
  const state = getters.map((g) => `${g}=${describe(live.side, () => engine.invoke(inst, g, []))}`);
  return { outcome, log: `${count} calls, hash ${hash}`, state };
}

/** The first LOG_KEEP log entries, for a report (`log-f32 0x7fc00000`, ...). */
export function readLog(engine: Engine, logger: EngineInstance): string[] {
  const n = Math.min(LOG_KEEP, Number(engine.invoke(logger, 'fuzz:log-count', [])[0].value));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const arg = [{ type: 'i32', value: String(i) }];
    const tag = LOG_TAGS[Number(engine.invoke(logger, 'fuzz:log-tag', arg)[0].value)];
    out.push(`log-${tag} 0x${BigInt(engine.invoke(logger, 'fuzz:log-bits', arg)[0].value as string).toString(16)}`);
  }
  return out;
}

function firstDifference(a: Observation, b: Observation): string | undefined {
  if (a.outcome !== b.outcome) return `result: ${a.outcome} vs ${b.outcome}`;
  if (a.log !== b.log) return `log: ${a.log} vs ${b.log}`;
  for (let i = 0; i < a.state.length; i++) if (a.state[i] !== b.state[i]) return `state: ${a.state[i]} vs ${b.state[i]}`;
  return undefined;
}

/** Zero of a parameter type, as binaryen's harness calls exports. */
function zero(t: number): SpecValue {
  const type = VALTYPE_NAMES[t];
  if (type === undefined) throw new Error(`parameter type 0x${t.toString(16)} not supported by the fuzzer`);
  return { type, value: type.endsWith('ref') ? 'null' : '0' };
}

/**
 * Runs `original` (a -ttf module, not yet instrumented) on both sides and compares. Stops at the
 * first difference (what follows would differ too). Throws only for harness faults.
 */
export function compareModule(original: Uint8Array, ref: Side, test: Side, onPhase?: PhaseHook): ModuleResult {
  const bytes = instrument(original);
  const info = decodeModule(bytes);
  const funcs = info.exports.filter((e) => e.kind === 'func');
  const getters = funcs.map((e) => e.name).filter((n) => n.startsWith(GLOBAL_PREFIX) || n === MEMORY_HASH);
  const hangInit = funcs.some((e) => e.name === HANG_LIMIT_INIT);
  const targets = funcs.filter((e) => !e.name.startsWith('fuzz:') && e.name !== HANG_LIMIT_INIT);

  onPhase?.('(instantiate)', 'ref');
  const r = start(ref, bytes);
  onPhase?.('(instantiate)', 'test');
  const t = start(test, bytes);
  const result: ModuleResult = { instantiate: { ref: r.instantiated, test: t.instantiated }, exports: [], skipped: 0 };
  if (t.instantiated.startsWith(UNSUPPORTED)) {
    result.unsupported = t.instantiated;
    result.skipped = targets.length;
    return result;
  }
  if (r.instantiated !== t.instantiated) {
    result.instantiate.difference = `instantiate: ${r.instantiated} vs ${t.instantiated}`;
    return result;
  }
  if (!r.instance || !t.instance) return result; // both failed alike

  for (let k = 0; k < targets.length; k++) {
    const e = targets[k];
    const params = [...info.types[info.funcTypeIndices[e.index]].params].map(zero);
    onPhase?.(e.name, 'ref');
    const a = observe(r, e.name, params, getters, hangInit);
    if (a.outcome === 'trap: call stack exhausted') {
      // the depth reached differs by engine (stack sizes), so the log and state do too
      result.skipped = targets.length - k;
      break;
    }
    onPhase?.(e.name, 'test');
    const b = observe(t, e.name, params, getters, hangInit);
    const declined = [b.outcome, ...b.state].find((x) => x.startsWith(UNSUPPORTED) || x.includes(`=${UNSUPPORTED}`));
    if (declined) {
      result.unsupported = declined;
      result.skipped = targets.length - k;
      break;
    }
    const difference = firstDifference(a, b);
    result.exports.push({ name: e.name, ref: a, test: b, difference });
    if (difference) {
      result.exports[result.exports.length - 1].logs = { ref: readLog(ref.engine, r.logger), test: readLog(test.engine, t.logger) };
      result.skipped = targets.length - k - 1;
      break;
    }
  }
  return result;
}

/** The difference of a compared module, if any, as one line. */
export function moduleDifference(m: ModuleResult): string | undefined {
  if (m.instantiate.difference) return m.instantiate.difference;
  const e = m.exports.find((x) => x.difference);
  return e ? `export ${JSON.stringify(e.name)}: ${e.difference}` : undefined;
}
