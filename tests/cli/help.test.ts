// `--help` and `-h` on every subcommand: the usage text on stdout, nothing on stderr, status 0,
// nothing run. The subcommands are read from `kwasm-jit --help`, so one added to jit/cli.ts is
// covered without touching this file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli } from './helpers.js';

async function subcommands(): Promise<string[]> {
  const r = await cli(['--help']);
  assert.is(r.status, 0, r.stderr);
  const names = [...r.stdout.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]).filter((n) => n !== 'help');
  return names;
}

test('kwasm-jit --help lists the subcommands (run, compile, validate at least)', async () => {
  const names = await subcommands();
  for (const n of ['run', 'compile', 'validate']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
});

test('every subcommand: --help and -h (first, or after other arguments) print its usage, status 0', async () => {
  for (const name of await subcommands()) {
    for (const argv of [[name, '--help'], [name, '-h'], ['help', name]]) {
      const r = await cli(argv);
      assert.is(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
      assert.is(r.stderr, '', argv.join(' '));
      assert.match(r.stdout, new RegExp(`^usage: kwasm-jit ${name} `), argv.join(' '));
      assert.match(r.stdout, /exit status/, argv.join(' '));
    }
  }
  // compile and validate have no guest arguments: --help anywhere is theirs, and wins over FILE
  for (const argv of [['compile', 'missing.wasm', '--help'], ['compile', '--disasm', '-h'], ['validate', 'missing.wasm', '-h']]) {
    const r = await cli(argv);
    assert.is(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: kwasm-jit ${argv[0]} `));
  }
});

test('a bad command line is still a usage error (status 2, usage on stderr), not a file name', async () => {
  for (const argv of [['compile', '--frobnicate'], ['compile'], ['compile', 'a.wasm', 'b.wasm'], ['compile', 'a.wasm', '--func'],
    ['validate', '--frobnicate'], ['validate'], ['help', 'frobnicate']]) {
    const r = await cli(argv);
    assert.is(r.status, 2, argv.join(' '));
    assert.is(r.stdout, '', argv.join(' '));
    assert.not.match(r.stderr, /ENOENT/, argv.join(' '));
  }
  assert.match((await cli(['compile', '--frobnicate'])).stderr, /unknown option "--frobnicate"[^]*usage: kwasm-jit compile/);
});

test.run();
