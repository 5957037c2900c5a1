// `run`'s command-line parsing and --invoke value conversion, in process (no wasm involved).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRunArgs, UsageError } from '../../jit/cli/args.js';
import { formatValue, parseValue, ValueError } from '../../jit/cli/values.js';
import { F32, F64, I32, I64 } from '../../jit/frontend/types.js';

test('options before FILE, everything after FILE is the guest\'s (even --help and --dir)', () => {
  const o = parseRunArgs(['--dir', 'a::/x', '--dir=b', '--env', 'K=v=w', '--env=E=', '--invoke', 'f', '--timeout=250',
    '--trap-unknown-imports', '--argv0', 'prog', 'm.wasm', '--help', '--dir', 'c']);
  assert.equal(o.dirs, [{ host: 'a', guest: '/x' }, { host: 'b', guest: 'b' }]);
  assert.equal(o.env, [['K', 'v=w'], ['E', '']]);
  assert.is(o.invoke, 'f');
  assert.is(o.timeoutMs, 250);
  assert.is(o.trapUnknownImports, true);
  assert.is(o.argv0, 'prog');
  assert.is(o.file, 'm.wasm');
  assert.equal(o.args, ['--help', '--dir', 'c']);
  assert.is(o.help, false);
  assert.equal(parseRunArgs(['--', '--odd.wasm', 'x']).file, '--odd.wasm');
});

test('--tcplisten HOST:PORT is repeatable and kept in order; IPv4 or localhost only', () => {
  const o = parseRunArgs(['--tcplisten', '127.0.0.1:8080', '--tcplisten=localhost:0', 'm.wasm']);
  assert.equal(o.tcplisten, [{ host: '127.0.0.1', port: 8080 }, { host: 'localhost', port: 0 }]);
  for (const bad of ['8080', '127.0.0.1:', '127.0.0.1:65536', '1.2.3:80', 'host.example:80', '[::1]:80']) {
    assert.throws(() => parseRunArgs(['--tcplisten', bad, 'm.wasm']), (e: unknown) => e instanceof UsageError && /--tcplisten/.test((e as Error).message), bad);
  }
});

test('bad command lines are UsageErrors with a message naming the problem', () => {
  const bad: [string[], RegExp][] = [
    [['--frobnicate', 'm.wasm'], /unknown option "--frobnicate"/],
    [['-x', 'm.wasm'], /unknown option "-x"/],
    [['--invoke'], /--invoke needs a value/],
    [['--timeout', '10s', 'm.wasm'], /--timeout "10s"/],
    [['--timeout', '0', 'm.wasm'], /positive/],
    [['--dir', '::/g', 'm.wasm'], /HOST or HOST::GUEST/],
    [['--env', '=v', 'm.wasm'], /NAME=VALUE/],
    [['--env', 'SURELY_NOT_SET_42', 'm.wasm'], /not set in the host environment/],
    [['--trap-unknown-imports=yes', 'm.wasm'], /takes no value/],
    [[], /missing FILE/],
  ];
  for (const [argv, re] of bad) {
    try {
      parseRunArgs(argv, {});
      assert.unreachable(`accepted ${argv.join(' ')}`);
    } catch (e) {
      assert.instance(e, UsageError, argv.join(' '));
      assert.match((e as Error).message, re);
    }
  }
});

test('--env NAME passes the host value through; --help needs no FILE', () => {
  assert.equal(parseRunArgs(['--env', 'HOME', 'm.wasm'], { HOME: '/home/u' }).env, [['HOME', '/home/u']]);
  assert.is(parseRunArgs(['--help']).help, true);
});

test('--invoke arguments: i32/i64 signed or unsigned spelling, hex, range checked; floats in Rust syntax', () => {
  assert.is(parseValue(I32, '-1'), -1);
  assert.is(parseValue(I32, '4294967295'), -1);
  assert.is(parseValue(I32, '0x7fffffff'), 2147483647);
  assert.is(parseValue(I64, '18446744073709551615'), -1n);
  assert.is(parseValue(I64, '-9223372036854775808'), -(2n ** 63n));
  assert.is(parseValue(F64, '-inf'), -Infinity);
  assert.ok(Number.isNaN(parseValue(F64, 'nan') as number));
  assert.is(parseValue(F64, '1e-3'), 0.001);
  assert.is(parseValue(F32, '0.1'), Math.fround(0.1));
  for (const [t, s] of [[I32, '4294967296'], [I32, '1.5'], [I32, ''], [I64, '0x1' + '0'.repeat(16)], [F64, ''], [F64, '0x10'], [F64, 'Infinity1']] as const) {
    assert.throws(() => parseValue(t, s), (e: unknown) => e instanceof ValueError, `${s}`);
  }
});

test('results print as wasmtime (Rust Display): signed ints, shortest round-trip floats without exponent', () => {
  assert.is(formatValue(I32, -7), '-7');
  assert.is(formatValue(I64, 2n ** 63n), '-9223372036854775808');
  assert.is(formatValue(F32, Math.fround(0.1)), '0.1');          // not 0.10000000149011612
  assert.is(formatValue(F32, Math.fround(1 / 3)), '0.33333334');
  assert.is(formatValue(F64, 1 / 3), '0.3333333333333333');
  assert.is(formatValue(F64, 1e21), '1000000000000000000000');
  assert.is(formatValue(F64, 1.5e-7), '0.00000015');
  assert.is(formatValue(F64, 2), '2');
  assert.is(formatValue(F64, -0), '-0');
  assert.is(formatValue(F64, -Infinity), '-inf');
  assert.is(formatValue(F32, NaN), 'NaN');
  assert.is(formatValue(F32, Math.fround(3.4028234663852886e38)), '340282350000000000000000000000000000000');
});

test.run();
