// The benchmark programs and their workloads. Workloads are command-line arguments (not #defines)
// so tuning them never invalidates the build cache. `full` is sized for 0.5 to 3 s natively on the
// 2-core development machine; `quick` is roughly a tenth of that, for development runs.

export type Suite = 'cpu' | 'syscall' | 'simd';

/** What a program needs at run time besides its arguments, resolved against the data directory. */
export interface Invocation {
  args: string[];
  /** Host directories the program opens by absolute path (WASI preopens, guest path = host path). */
  dirs: string[];
  /** Standard output is a pipe the bench drains; the checksum is on standard error. */
  drainStdout?: boolean;
}

export interface Program {
  name: string;
  /** Path of the C source, relative to bench/programs/. */
  source: string;
  suite: Suite;
  kind: string;
  invocation(quick: boolean, dataDir: string): Invocation;
  /** Extra clang flags of the wasm build (SIMD rows: -msimd128). */
  wasmFlags?: readonly string[];
  /** Extra gcc flags of the native baseline (SIMD rows: -ftree-vectorize). */
  nativeFlags?: readonly string[];
}

function cpu(name: string, kind: string, full: string[], quick: string[]): Program {
  return {
    name, source: `${name}.c`, suite: 'cpu', kind,
    invocation: (q) => ({ args: q ? quick : full, dirs: [] }),
  };
}

/**
 * A SIMD row: the wasm build with -msimd128 (auto-vectorized loops, or the wasm_simd128.h path of
 * the simd/ kernels), against native gcc -O2 -ftree-vectorize (the plain loops); the main suite's
 * row of the same program is the -O2 baseline without SIMD.
 */
function simd(name: string, source: string, kind: string, full: string[], quick: string[]): Program {
  return {
    name: `${name}-simd`, source, suite: 'simd', kind,
    invocation: (q) => ({ args: q ? quick : full, dirs: [] }),
    wasmFlags: ['-msimd128'], nativeFlags: ['-ftree-vectorize'],
  };
}

export const DATA_FILE = 'read-8MiB.bin';
export const DATA_FILE_BYTES = 8 << 20;

export const PROGRAMS: readonly Program[] = [
  cpu('fib', 'recursive calls', ['42'], ['35']),
  cpu('sieve', 'integer loops, byte array', ['10000000', '40'], ['10000000', '3']),
  cpu('collatz', '64-bit integer loops', ['4000000'], ['400000']),
  cpu('nbody', 'floating point', ['6000000'], ['600000']),
  cpu('mandelbrot', 'floating point', ['3200'], ['1000']),
  cpu('spectralnorm', 'floating point, calls', ['3500'], ['1000']),
  cpu('matmul', 'matrix multiply', ['500', '12'], ['300', '3']),
  cpu('sha256', 'hashing (32-bit rotates)', ['140'], ['14']),
  cpu('crc32', 'hashing (table lookups)', ['250'], ['25']),
  cpu('quicksort', 'sorting', ['1000000', '8'], ['500000', '2']),
  cpu('binarytrees', 'malloc/free heavy', ['18'], ['14']),
  cpu('fannkuch', 'permutations', ['10', '3'], ['9', '2']),
  cpu('strings', 'string processing (libc str*)', ['200000', '25'], ['100000', '4']),
  cpu('interp', 'switch-dispatch interpreter', ['20000'], ['2000']),
  // the main-suite programs clang vectorizes with -msimd128, and three intrinsic kernels
  simd('sieve', 'sieve.c', 'byte array loops, vectorized', ['10000000', '40'], ['10000000', '3']),
  simd('nbody', 'nbody.c', 'floating point, vectorized', ['6000000'], ['600000']),
  simd('spectralnorm', 'spectralnorm.c', 'floating point, vectorized', ['3500'], ['1000']),
  simd('matmul', 'matmul.c', 'matrix multiply, vectorized', ['500', '12'], ['300', '3']),
  simd('sha256', 'sha256.c', 'hashing, vectorized', ['140'], ['14']),
  simd('fannkuch', 'fannkuch.c', 'permutations, vectorized', ['10', '3'], ['9', '2']),
  simd('dot', 'simd/dot.c', 'i16 and f32 dot products (intrinsics)', ['20000'], ['2000']),
  simd('bytesearch', 'simd/bytesearch.c', 'byte search, eq + bitmask (intrinsics)', ['3000'], ['300']),
  simd('blur', 'simd/blur.c', '8-bit image filter, avgr (intrinsics)', ['1000'], ['100']),
  {
    name: 'sys-devnull', source: 'syscall/devnull.c', suite: 'syscall', kind: 'small writes to /dev/null',
    invocation: (q) => ({ args: ['/dev/null', q ? '60000' : '600000', '16'], dirs: ['/dev'] }),
  },
  {
    name: 'sys-pipe', source: 'syscall/pipe.c', suite: 'syscall', kind: 'small writes to a pipe',
    invocation: (q) => ({ args: [q ? '30000' : '300000', '16'], dirs: [], drainStdout: true }),
  },
  {
    name: 'sys-fileread', source: 'syscall/fileread.c', suite: 'syscall', kind: 'file read in 64-byte chunks',
    invocation: (q, dataDir) => ({ args: [`${dataDir}/${DATA_FILE}`, q ? '1' : '4', '64'], dirs: [dataDir] }),
  },
];

/** The tiny program used to check that a runner works at all; run with two arguments. */
export const PROBE: Program = cpu('probe', 'runner probe', ['a', 'b'], ['a', 'b']);
export const PROBE_EXPECTED = 'kwasm-probe 3';
