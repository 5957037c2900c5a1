// The spec runner's Engine (tests/spec/engine.ts) on kernel mode: every module is instantiated in
// ring 0 through kernel-loader/loader.ts, one /dev/kwasm file per instance. A module kernel
// mode cannot run yet instantiates to a placeholder whose every use throws the
// "not supported in kernel mode yet" error, so the script's later commands are tallied as
// unsupported instead of running against the previous module.
import { KernelInstance, KernelUnsupportedError, type KernelFunction, type KernelHostStorage, type KernelImports } from '../../../kernel-loader/loader.js';
import { compileModule, type CompiledModule } from '../../../jit/compiler/module-compiler.js';
import { EXTERNREF, FUNCREF, I32, F32, I64, F64, V128, type ValType } from '../../../jit/frontend/types.js';
import { v128FromBits, v128ToBits } from '../../spec/v128.js';
import { LinkError } from '../../../jit/errors.js';
import { numToBits } from '../../../jit/instance/values.js';
import type { Engine, EngineInstance, SpecValue } from '../../spec/engine.js';

const TYPES: Record<string, ValType> = { i32: I32, i64: I64, f32: F32, f64: F64, v128: V128, funcref: FUNCREF, externref: EXTERNREF };
const NAMES: Record<number, string> = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));

class Unsupported { constructor(readonly error: KernelUnsupportedError) {} }

/**
 * Instances whose state is no longer what the script assumes: an action on them was not supported
 * (table.copy, say), or a module that would have written into their tables/memories/globals
 * could not be instantiated. Later commands on them count as unsupported, not as failures.
 */
const STALE = 'state after an unsupported operation';

/** Where an engine's time goes (ms), for KWASM_KERNEL_SPEC_VERBOSE. */
export interface EngineStats { compile: number; load: number; invoke: number; close: number; loads: number; invokes: number }

export class KernelEngine implements Engine {
  readonly name = 'kwasm-jit --kernel';
  readonly stats: EngineStats = { compile: 0, load: 0, invoke: 0, close: 0, loads: 0, invokes: 0 };
  private readonly instances: KernelInstance[] = [];
  private readonly registered: KernelImports = {};
  private readonly registeredInst = new Map<string, KernelInstance>();
  private readonly stale = new WeakSet<object>();
  /** the instances whose exports an instance imports (registered modules) */
  private readonly deps = new Map<KernelInstance, Set<KernelInstance>>();
  /** registered names of instances kernel mode could not make: importing from them is unsupported */
  private readonly unsupportedModules = new Map<string, KernelUnsupportedError>();
  private readonly spectest: Record<string, unknown>;

  constructor() {
    const noop = (): void => {};
    const g = (type: ValType, v: number | bigint): object => ({ type, mutable: false, bits: numToBits(type, v) });
    this.spectest = {
      print: noop, print_i32: noop, print_i64: noop, print_f32: noop, print_f64: noop, print_i32_f32: noop, print_f64_f64: noop,
      global_i32: g(I32, 666), global_i64: g(I64, 666n), global_f32: g(F32, 666.6), global_f64: g(F64, 666.6),
      // per script (one engine each), as user space's spectest instance: the first importer owns them
      table: { kernelHost: 'table', elemType: FUNCREF, min: 10, max: 20 } satisfies KernelHostStorage,
      memory: { kernelHost: 'memory', min: 1, max: 2 } satisfies KernelHostStorage,
    };
  }

  instantiate(bytes: Uint8Array): EngineInstance {
    const t0 = performance.now();
    const compiled = compileModule(bytes);
    const t1 = performance.now();
    this.stats.compile += t1 - t0;
    try {
      return this.instantiateCompiled(compiled);
    } finally {
      this.stats.load += performance.now() - t1;
      this.stats.loads++;
    }
  }

  private instantiateCompiled(compiled: CompiledModule): EngineInstance {
    for (const imp of compiled.info.imports) {
      const e = this.unsupportedModules.get(imp.module);
      if (e) return new Unsupported(e);
    }
    const imports: KernelImports = { ...this.registered, spectest: this.spectest };
    // a registered kernel function imported with another signature is a link error, as in user space
    for (const imp of compiled.info.imports) {
      const v: unknown = imports[imp.module]?.[imp.name];
      const type = typeof v === 'function' ? (v as Partial<KernelFunction>).type : undefined;
      if (imp.desc.kind !== 'func' || !type) continue;
      const want = compiled.info.types[imp.desc.typeIndex];
      if (type.params.join() !== want.params.join() || type.results.join() !== want.results.join()) {
        throw new LinkError(`incompatible import type for ${imp.module}.${imp.name}`);
      }
    }
    try {
      const inst = new KernelInstance(compiled, imports);
      this.instances.push(inst);
      // imported functions of another instance run that instance: its staleness is ours
      const deps = new Set<KernelInstance>();
      for (const imp of compiled.info.imports) {
        const owner = this.registeredInst.get(imp.module);
        if (owner) deps.add(owner);
      }
      this.deps.set(inst, deps);
      return inst;
    } catch (e) {
      if (!(e instanceof KernelUnsupportedError)) throw e;
      for (const imp of compiled.info.imports) {
        const owner = this.registeredInst.get(imp.module);
        if (owner && imp.desc.kind !== 'func') this.stale.add(owner);
      }
      return new Unsupported(e);
    }
  }

  private live(instance: EngineInstance): KernelInstance {
    if (instance instanceof Unsupported) throw instance.error;
    if (this.isStale(instance as KernelInstance)) throw new KernelUnsupportedError(STALE);
    return instance as KernelInstance;
  }

  private isStale(inst: KernelInstance, seen = new Set<KernelInstance>()): boolean {
    if (this.stale.has(inst)) return true;
    if (seen.has(inst)) return false;
    seen.add(inst);
    for (const d of this.deps.get(inst) ?? []) if (this.isStale(d, seen)) return true;
    return false;
  }

  register(as: string, instance: EngineInstance): void {
    // an instance kernel mode could not make (or made stale) is still registered: whoever imports
    // from it is "not supported" too, not a link error
    if (instance instanceof Unsupported || this.isStale(instance as KernelInstance)) {
      this.unsupportedModules.set(as, instance instanceof Unsupported ? instance.error : new KernelUnsupportedError(STALE));
      return;
    }
    const inst = instance as KernelInstance;
    this.unsupportedModules.delete(as);
    this.registered[as] = inst.exports;
    this.registeredInst.set(as, inst);
  }

  invoke(instance: EngineInstance, field: string, args: SpecValue[]): SpecValue[] {
    const inst = this.live(instance);
    const f = inst.exports[field] as KernelFunction | undefined;
    if (typeof f !== 'function') throw new Error(`no exported function ${field}`);
    const t0 = performance.now();
    this.stats.invokes++;
    try {
      const bits = args.map((a) => toBits(a));
      return f.raw(bits).map((b, i) => fromBits(f.type.results[i], b));
    } catch (e) {
      if (e instanceof KernelUnsupportedError) this.stale.add(inst);
      throw e;
    } finally {
      this.stats.invoke += performance.now() - t0;
    }
  }

  get(instance: EngineInstance, field: string): SpecValue {
    const g = this.live(instance).exports[field] as { type: ValType; bits: bigint | null } | undefined;
    if (!g || g.bits === undefined) throw new Error(`no exported global ${field}`);
    if (g.bits === null) throw new KernelUnsupportedError('reading an exported mutable global');
    return fromBits(g.type, g.bits);
  }

  dispose(): void {
    const t0 = performance.now();
    for (const i of this.instances) i.close();
    this.stats.close += performance.now() - t0;
  }
}

function toBits(v: SpecValue): bigint {
  const t = TYPES[v.type];
  if (t === undefined) throw new Error(`unsupported value type ${v.type}`);
  if (t === V128) return v128ToBits(v);
  if (t === FUNCREF || t === EXTERNREF) {
    if (v.value === 'null') return 0n;
    // the script's `ref.extern N` as the token N + 1 (0 is null); the kernel never looks inside
    if (t === EXTERNREF) return BigInt(v.value as string) + 1n;
    throw new KernelUnsupportedError('funcref values across the kernel boundary');
  }
  return BigInt(v.value as string);
}

function fromBits(t: ValType, b: bigint): SpecValue {
  const type = NAMES[t];
  if (t === V128) return v128FromBits(b);
  if (t === FUNCREF || t === EXTERNREF) {
    if (b === 0n) return { type, value: 'null' };
    // the kernel hands funcrefs out as function index + 1, never as addresses
    if (t === FUNCREF) {
      if (b > 1n << 20n) throw new Error(`the kernel returned funcref ${b}: no function index (an address?)`);
      return { type, value: 'func' };
    }
    return { type, value: String(b - 1n) };
  }
  const bits = t === I32 || t === F32 ? b & 0xffffffffn : BigInt.asUintN(64, b);
  return { type, value: bits.toString() };
}
