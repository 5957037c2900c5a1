// The benchmark programs and their workloads. Workloads are command-line arguments (not #defines)
// so tuning them never invalidates the build cache. `full` is sized for 0.5 to 3 s natively on the
// 2-core development machine; `quick` is roughly a tenth of that, for development runs.

export type Suite = 'cpu' | 'syscall';

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
}

function cpu(name: string, kind: string, full: string[], quick: string[]): Program {
  return {
    name, source: `${name}.c`, suite: 'cpu', kind,
    invocation: (q) => ({ args: q ? quick : full, dirs: [] }),
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
