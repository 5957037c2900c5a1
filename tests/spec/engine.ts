// The interface the spec runner drives execution commands through. The
// single-pass compiler implements it in the next issue; until then the
// runner has no engine and reports execution commands as pending.

/** A value as wast2json writes it: type name and decimal bit pattern(s). */
export interface SpecValue {
  type: string;
  value?: string | string[];
  /** v128: the lane shape of `value` (i8 ... f64), one decimal bit pattern per lane. */
  lane_type?: string;
}

/** Whatever the engine uses to stand for an instantiated module. */
export type EngineInstance = object;

export interface Engine {
  readonly name: string;
  /**
   * Compile, link and instantiate a module. Imports are resolved against the
   * `spectest` module and instances registered earlier. Throws a
   * CompileError, LinkError (assert_unlinkable) or RuntimeError
   * (assert_uninstantiable: a trap in the start function or in segment init).
   */
  instantiate(bytes: Uint8Array): EngineInstance;
  /** Make an instance's exports importable under `as` (the `register` command). */
  register(as: string, instance: EngineInstance): void;
  /** Call an exported function; throws RuntimeError on a trap, RangeError on exhaustion. */
  invoke(instance: EngineInstance, field: string, args: SpecValue[]): SpecValue[];
  /** Read an exported global. */
  get(instance: EngineInstance, field: string): SpecValue;
}
