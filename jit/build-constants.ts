// Values the CLI bundle gets computed at build time instead of at every start: jit/cli/bundle.ts
// computes them with the same functions (compilerId(), buildRuntimeObject()) over the tsc output
// it bundles, and esbuild's `define` writes them into the bundle. In the tsc output itself (the
// tests, the embedding API) the identifier is not defined and each value is computed on first use.
declare const KWASM_BUILD_CONSTANTS: BuildConstants | undefined;

export interface BuildConstants {
  /** compilerId() of the code in the bundle, hex */
  compilerId: string;
  /** the runtime's .so (native.ts buildRuntimeObject()), base64 */
  runtimeObject: string;
}

/** The name bundle.ts defines. */
export const BUILD_CONSTANTS_NAME = 'KWASM_BUILD_CONSTANTS';

export const buildConstants: BuildConstants | undefined = typeof KWASM_BUILD_CONSTANTS === 'undefined' ? undefined : KWASM_BUILD_CONSTANTS;
