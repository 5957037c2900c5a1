// The compiler id (the cache's and .kwasm's key for "this compiler"): it follows the built code of
// the decoder, validator, compiler, backend and abi and nothing else, so a rebuild that changes
// code recompiles every cached module. The CLI bundle carries the same id, computed at build
// time (tests/cli/bundle.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilerId, hashCompilerSources } from '../../jit/cache/compiler-id.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/tests/cache -> dist

test('the id hashes this build\'s files: a copy of them has the same id; a changed compiler, backend or abi file changes it; other code does not', () => {
  const root = mkdtempSync(join(tmpdir(), 'kwasm-compiler-id-'));
  try {
    const copy = join(root, 'dist');
    cpSync(join(dist, '..', 'package.json'), join(root, 'package.json'));
    for (const sub of ['jit', 'backend-x64', 'abi']) cpSync(join(dist, sub), join(copy, sub), { recursive: true, filter: (s) => !s.endsWith('.map') });
    const id = Buffer.from(hashCompilerSources(copy)).toString('hex');
    assert.is(id, Buffer.from(compilerId()).toString('hex'), 'the same files, the same id (wherever they are)');
    appendFileSync(join(copy, 'jit', 'wasi', 'index.js'), '\n// not compiler code\n');
    appendFileSync(join(copy, 'jit', 'cli', 'run.js'), '\n// not compiler code\n');
    assert.is(Buffer.from(hashCompilerSources(copy)).toString('hex'), id, 'WASI and CLI code are not the compiler');
    let last = id;
    for (const file of [['jit', 'compiler', 'module-compiler.js'], ['jit', 'frontend', 'decoder.js'], ['backend-x64', 'index.js'], ['abi', 'vmctx.js'], ['jit', 'errors.js']]) {
      appendFileSync(join(copy, ...file), '\n// changed\n');
      const now = Buffer.from(hashCompilerSources(copy)).toString('hex');
      assert.is.not(now, last, `${file.join('/')} is part of the compiler`);
      last = now;
    }
    appendFileSync(join(root, 'package.json'), '\n');
    assert.is.not(Buffer.from(hashCompilerSources(copy)).toString('hex'), last, 'package.json (the version)');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
