// The README's main command is a real WASI program: examples/hello.wasm, committed next to its
// source (as are the example servers). This rebuilds each with the flags in its source's header (clang-14, installed by
// scripts/setup.sh, run through the hermetic tests/programs/wasi-clang.ts) and fails if the committed binary is stale, then runs the README command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileWasiSync } from '../programs/wasi-clang.js';
import { cli, REPO } from './helpers.js';

for (const name of ['hello', 'echo', 'httpd']) {
  test(`examples/${name}.wasm is the build of examples/${name}.c`, () => {
    const src = readFileSync(join(REPO, 'examples', `${name}.c`), 'utf8');
    const m = /Built with clang-14 flags: (.*)/.exec(src);
    assert.ok(m, `build flags in ${name}.c`);
    const dir = mkdtempSync(join(tmpdir(), 'kwasm-example-'));
    try {
      compileWasiSync(join(REPO, 'examples', `${name}.c`), join(dir, `${name}.wasm`), m[1].trim().split(' '));
      const fresh = readFileSync(join(dir, `${name}.wasm`));
      assert.ok(fresh.equals(readFileSync(join(REPO, 'examples', `${name}.wasm`))),
        `examples/${name}.wasm is stale: rebuild it with the flags in examples/${name}.c`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('the README command runs it: greeting, the granted file, no escape, status 0', async () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  assert.ok(readme.includes('./bin/kwasm-jit.js run --dir examples::/ examples/hello.wasm'), 'README names the command');
  const r = await cli(['run', '--dir', 'examples::/', 'examples/hello.wasm']);
  assert.is(r.status, 0, r.stderr);
  const message = readFileSync(join(REPO, 'examples', 'message.txt'), 'utf8');
  assert.is(r.stdout, 'hello, world, from WebAssembly compiled by kwasm-jit\n' +
    `message.txt: ${message}` + '/../../etc/passwd: Operation not permitted\n');
  const named = await cli(['run', '--dir', 'examples::/', 'examples/hello.wasm', 'Ada']);
  assert.match(named.stdout, /^hello, Ada,/);
});

test('the package entry (package.json exports -> jit/index.ts) runs the same program through the API', async () => {
  const api = await import('kwasm-jit' as string) as typeof import('../../jit/index.js');
  for (const name of ['compile', 'instantiate', 'WASI', 'Memory', 'RuntimeError', 'CompileError', 'LinkError', 'Trap']) {
    assert.ok(name in api, `kwasm-jit exports ${name}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-api-'));
  try {
    const out = openSync(join(dir, 'out'), 'w');
    const wasi = new api.WASI({ args: ['hello', 'Ada'], env: {}, preopens: { '/': join(REPO, 'examples') }, stdout: out });
    // jit/wasi calls a mirror after every fd_write it serves in JS: none may reach it (native path)
    let jsWrites = 0;
    wasi.addMirror({ positions: true, push: (call) => { if (call.name === 'fd_write') jsWrites++; } });
    const instance = api.instantiate(api.compile(readFileSync(join(REPO, 'examples', 'hello.wasm'))), wasi.getImportObject());
    assert.is(wasi.start(instance), 0);
    assert.is(jsWrites, 0, 'the README example\'s writes are served in machine code');
    closeSync(out);
    assert.match(readFileSync(join(dir, 'out'), 'utf8'), /^hello, Ada, from WebAssembly compiled by kwasm-jit\nmessage\.txt: /);
    assert.instance(instance.exports.memory, api.Memory);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
