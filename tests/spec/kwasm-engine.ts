// The kwasm-jit execution engine behind the spec runner: compile + instantiate through
// jit/instance, values as raw bit patterns (so NaN payloads survive), one Store per script so
// every file starts clean and frees its native memory and code at the end.
import { compile, instantiate, spectestImports, Store, Linker, callRaw, funcInfoOf, Global, type Instance } from '../../jit/instance/api.js';
import { EXTERNREF, FUNCREF, I32, F32, V128, type ValType } from '../../jit/frontend/types.js';
import type { Engine, EngineInstance, SpecValue } from './engine.js';
import { v128FromBits, v128ToBits } from './v128.js';

const TYPES: Record<string, ValType> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: V128, funcref: FUNCREF, externref: EXTERNREF };
const NAMES: Record<number, string> = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));

/** Host values standing for `ref.extern N`: one object per N, so identity can be compared. */
const externs = new Map<number, object>();
function externValue(n: number): object {
  let o = externs.get(n);
  if (!o) { o = { externref: n }; externs.set(n, o); }
  return o;
}

export class KwasmEngine implements Engine {
  readonly name = 'kwasm-jit';
  private store = new Store();
  private linker = new Linker();

  constructor() { this.linker.define('spectest', spectestImports(this.store)); }

  instantiate(bytes: Uint8Array): EngineInstance {
    return instantiate(compile(bytes), this.linker.imports, this.store);
  }

  register(as: string, instance: EngineInstance): void { this.linker.register(as, instance as Instance); }

  invoke(instance: EngineInstance, field: string, args: SpecValue[]): SpecValue[] {
    const f = (instance as Instance).exports[field];
    const info = funcInfoOf(f);
    if (!info) throw new Error(`no exported function ${field}`);
    const bits = args.map((a) => this.toBits(a));
    const res = callRaw(this.store, info, bits);
    return res.map((b, i) => this.fromBits(info.type.results[i], b));
  }

  get(instance: EngineInstance, field: string): SpecValue {
    const g = (instance as Instance).exports[field];
    if (!(g instanceof Global)) throw new Error(`no exported global ${field}`);
    return this.fromBits(g.type, g.bits);
  }

  dispose(): void { this.store.dispose(); }

  private toBits(v: SpecValue): bigint {
    const t = TYPES[v.type];
    if (t === undefined) throw new Error(`unsupported value type ${v.type}`);
    if (t === V128) return v128ToBits(v);
    const s = v.value as string;
    if (t === FUNCREF || t === EXTERNREF) {
      if (s === 'null') return 0n;
      return this.store.refToBits(t, externValue(Number(s)));
    }
    return BigInt(s);
  }

  private fromBits(t: ValType, b: bigint): SpecValue {
    const type = NAMES[t];
    if (t === FUNCREF) return { type, value: b === 0n ? 'null' : 'func' };
    if (t === EXTERNREF) {
      if (b === 0n) return { type, value: 'null' };
      const o = this.store.refFromBits(t, b) as { externref?: number } | undefined;
      return { type, value: String(o?.externref ?? '?') };
    }
    if (t === V128) return v128FromBits(b);
    const bits = t === I32 || t === F32 ? b & 0xffffffffn : BigInt.asUintN(64, b);
    return { type, value: bits.toString() };
  }
}
