// V8 (WebAssembly JS API) behind the spec runner's Engine interface (tests/spec/engine.ts), the
// reference side of the differential fuzzer. Values cross as the spec runner's bit patterns; the
// JS API has no type reflection here, so the export signatures come from decoding the module.
import { decodeModule } from '../../jit/frontend/decoder.js';
import { EXTERNREF, F32, F64, FUNCREF, I32, I64, type FuncType, type ValType } from '../../jit/frontend/types.js';
import type { Engine, EngineInstance, SpecValue } from '../spec/engine.js';

export const VALTYPE_NAMES: Readonly<Record<number, string>> = { [I32]: 'i32', [I64]: 'i64', [F32]: 'f32', [F64]: 'f64', [FUNCREF]: 'funcref', [EXTERNREF]: 'externref' };

interface V8Instance { exports: WebAssembly.Exports; types: Map<string, FuncType> }

const scratch = new DataView(new ArrayBuffer(8));

function toJs(v: SpecValue): unknown {
  const s = v.value as string;
  switch (v.type) {
    case 'i32': return Number(BigInt.asIntN(32, BigInt(s)));
    case 'i64': return BigInt.asIntN(64, BigInt(s));
    case 'f32': scratch.setUint32(0, Number(s)); return scratch.getFloat32(0);
    case 'f64': scratch.setBigUint64(0, BigInt(s)); return scratch.getFloat64(0);
    case 'funcref': case 'externref':
      if (s === 'null') return null;
      throw new Error(`v8 engine: non-null ${v.type} arguments are not supported`);
    default: throw new Error(`v8 engine: value type ${v.type} not supported`);
  }
}

function fromJs(t: ValType, x: unknown): SpecValue {
  const type = VALTYPE_NAMES[t];
  switch (t) {
    case I32: return { type, value: String((x as number) >>> 0) };
    case I64: return { type, value: BigInt.asUintN(64, x as bigint).toString() };
    case F32: scratch.setFloat32(0, x as number); return { type, value: String(scratch.getUint32(0)) };
    case F64: scratch.setFloat64(0, x as number); return { type, value: scratch.getBigUint64(0).toString() };
    case FUNCREF: return { type, value: x === null ? 'null' : 'func' };
    case EXTERNREF: return { type, value: x === null ? 'null' : 'extern' };
    default: throw new Error(`v8 engine: value type 0x${t.toString(16)} not supported`);
  }
}

export class V8Engine implements Engine {
  readonly name = 'v8';
  private readonly registered: Record<string, WebAssembly.Exports> = {};

  instantiate(bytes: Uint8Array): EngineInstance {
    const info = decodeModule(bytes);
    const types = new Map<string, FuncType>();
    for (const e of info.exports) if (e.kind === 'func') types.set(e.name, info.types[info.funcTypeIndices[e.index]]);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), this.registered as WebAssembly.Imports);
    return { exports: instance.exports, types } satisfies V8Instance;
  }

  register(as: string, instance: EngineInstance): void {
    this.registered[as] = (instance as V8Instance).exports;
  }

  invoke(instance: EngineInstance, field: string, args: SpecValue[]): SpecValue[] {
    const { exports, types } = instance as V8Instance;
    const f = exports[field];
    const type = types.get(field);
    if (typeof f !== 'function' || !type) throw new Error(`no exported function ${field}`);
    const r: unknown = (f as (...a: unknown[]) => unknown)(...args.map(toJs));
    const values = type.results.length === 1 ? [r] : type.results.length === 0 ? [] : (r as unknown[]);
    return [...type.results].map((t, i) => fromJs(t as ValType, values[i]));
  }

  get(instance: EngineInstance, field: string): SpecValue {
    throw new Error(`v8 engine: read globals through exported getters (${field})`);
  }
}
