// The user-space pair: V8 as the reference, kwasm-jit (jit/instance, one Store per module) tested.
import { compareModule, type ModuleResult, type PhaseHook } from './differential.js';
import { kwasmTrapKind, v8TrapKind } from './trap-kinds.js';
import { V8Engine } from './v8-engine.js';
import { KwasmEngine } from '../spec/kwasm-engine.js';

/** Compares one module in this process (also the `--check` used by wasm-reduce). */
export function compareWithKwasm(bytes: Uint8Array, onPhase?: PhaseHook): ModuleResult {
  const kwasm = new KwasmEngine();
  try {
    return compareModule(bytes, { engine: new V8Engine(), trapKind: v8TrapKind }, { engine: kwasm, trapKind: kwasmTrapKind }, onPhase);
  } finally {
    kwasm.dispose();
  }
}

