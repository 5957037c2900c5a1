// `fuzzing-support`, the module binaryen's -ttf output imports its logging functions from, as a
// wasm module of its own: every engine links it the same way (V8, kwasm-jit in user space and in
// ring 0, where a module may import only another kernel instance's functions), and the log is read
// back through exports. Each call adds (type tag, bits) to a running FNV-1a hash and a count, and
// the first LOG_KEEP entries are kept for the report. NaNs are logged as the canonical NaN of their
// type: the spec leaves NaN payloads to the engine (f32.min/max with a non-canonical NaN operand
// differ between V8 and kwasm-jit, and both are right).
import { wat } from '../jit/wat.js';

export const LOGGER_MODULE = 'fuzzing-support';
export const LOG_KEEP = 64;
export const LOG_TAGS = ['i32', 'i64', 'f32', 'f64'] as const;

const WAT = `(module
  (memory 1)
  (global $count (mut i32) (i32.const 0))
  (global $hash (mut i64) (i64.const 0xcbf29ce484222325))
  (func $add (param $tag i32) (param $bits i64)
    (if (i32.lt_u (global.get $count) (i32.const ${LOG_KEEP}))
      (then
        (i32.store (i32.mul (global.get $count) (i32.const 16)) (local.get $tag))
        (i64.store offset=8 (i32.mul (global.get $count) (i32.const 16)) (local.get $bits))))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $hash (i64.mul
      (i64.xor (global.get $hash) (i64.xor (local.get $bits) (i64.shl (i64.extend_i32_u (local.get $tag)) (i64.const 56))))
      (i64.const 0x100000001b3))))
  (func (export "log-i32") (param i32) (call $add (i32.const 0) (i64.extend_i32_u (local.get 0))))
  (func (export "log-i64") (param i64) (call $add (i32.const 1) (local.get 0)))
  (func (export "log-f32") (param f32)
    (call $add (i32.const 2) (i64.extend_i32_u
      (select (i32.reinterpret_f32 (local.get 0)) (i32.const 0x7fc00000) (f32.eq (local.get 0) (local.get 0))))))
  (func (export "log-f64") (param f64)
    (call $add (i32.const 3)
      (select (i64.reinterpret_f64 (local.get 0)) (i64.const 0x7ff8000000000000) (f64.eq (local.get 0) (local.get 0)))))
  (func (export "fuzz:log-count") (result i32) (global.get $count))
  (func (export "fuzz:log-hash") (result i64) (global.get $hash))
  (func (export "fuzz:log-tag") (param i32) (result i32) (i32.load (i32.mul (local.get 0) (i32.const 16))))
  (func (export "fuzz:log-bits") (param i32) (result i64) (i64.load offset=8 (i32.mul (local.get 0) (i32.const 16))))
  (func (export "fuzz:log-reset")
    (global.set $count (i32.const 0))
    (global.set $hash (i64.const 0xcbf29ce484222325))))`;

let bytes: Uint8Array | undefined;

/** The logger module's bytes (assembled once per process with wat2wasm). */
export function loggerModule(): Uint8Array {
  bytes ??= wat(WAT);
  return bytes;
}
