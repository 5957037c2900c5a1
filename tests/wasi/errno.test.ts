// errno numbering (wasi_snapshot_preview1.witx) and the mapping of host errors.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Errno, errnoFromNodeCode, errnoName, errnoOf, WasiError } from '../../jit/wasi/errno.js';

test('errno numbers are the witx values', () => {
  // Spot checks spread over the whole table, values from the witx `errno` enum.
  const expected: Record<string, number> = {
    SUCCESS: 0, '2BIG': 1, ACCES: 2, AGAIN: 6, BADF: 8, EXIST: 20, FAULT: 21, ILSEQ: 25, INVAL: 28,
    IO: 29, ISDIR: 31, LOOP: 32, NAMETOOLONG: 37, NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55,
    NOTSOCK: 57, NOTSUP: 58, PERM: 63, PIPE: 64, SPIPE: 70, XDEV: 75, NOTCAPABLE: 76,
  };
  for (const [name, n] of Object.entries(expected)) assert.is(Errno[name as keyof typeof Errno], n, name);
  assert.is(Object.keys(Errno).length, 77);
  assert.is(errnoName(44), 'NOENT');
  assert.is(errnoName(500), 'errno 500');
});

test('Node error codes map to WASI errnos, aliases included, unknown ones to EIO', () => {
  assert.is(errnoFromNodeCode('ENOENT'), Errno.NOENT);
  assert.is(errnoFromNodeCode('EACCES'), Errno.ACCES);
  assert.is(errnoFromNodeCode('E2BIG'), Errno['2BIG']);
  assert.is(errnoFromNodeCode('EWOULDBLOCK'), Errno.AGAIN);
  assert.is(errnoFromNodeCode('EOPNOTSUPP'), Errno.NOTSUP);
  assert.is(errnoFromNodeCode('EDEADLOCK'), Errno.DEADLK);
  assert.is(errnoFromNodeCode('ENOTCAPABLE'), Errno.NOTCAPABLE);
  assert.is(errnoFromNodeCode('ESUCCESS'), Errno.IO); // never "success" for a failure
  assert.is(errnoFromNodeCode('EUNKNOWNTHING'), Errno.IO);
  assert.is(errnoFromNodeCode('ERR_INVALID_ARG_TYPE'), Errno.IO);
  assert.is(errnoFromNodeCode(undefined), Errno.IO);
});

function hostErrno(f: () => void): number {
  try {
    f();
  } catch (e) {
    return errnoOf(e);
  }
  throw new Error('expected the host call to fail');
}

test('real host failures become the right errno', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kwasm-errno-'));
  try {
    writeFileSync(join(dir, 'f'), 'x');
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'g'), 'y');
    assert.is(hostErrno(() => openSync(join(dir, 'missing'), 'r')), Errno.NOENT);
    assert.is(hostErrno(() => mkdirSync(join(dir, 'd'))), Errno.EXIST);
    assert.is(hostErrno(() => rmdirSync(join(dir, 'd'))), Errno.NOTEMPTY);
    assert.is(hostErrno(() => openSync(join(dir, 'f', 'x'), 'r')), Errno.NOTDIR);
    assert.is(hostErrno(() => openSync(join(dir, 'd'), 'w')), Errno.ISDIR);
    const fd = openSync(join(dir, 'd'), 'r');
    assert.is(hostErrno(() => readSync(fd, Buffer.alloc(1))), Errno.ISDIR);
    closeSync(fd);
    assert.is(hostErrno(() => readSync(fd, Buffer.alloc(1))), Errno.BADF);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errnoOf: WasiError carries its errno, bad guest pointer is FAULT, Node argument checks INVAL, bugs rethrown', () => {
  assert.is(errnoOf(new WasiError(Errno.PERM)), Errno.PERM);
  let dataViewError: unknown;
  try { new DataView(new ArrayBuffer(8)).getUint32(6); } catch (e) { dataViewError = e; }
  assert.is(errnoOf(dataViewError), Errno.FAULT);
  let nodeArgError: unknown;
  try { readSync(0, Buffer.alloc(4), 0, 100, null); } catch (e) { nodeArgError = e; }
  assert.is(errnoOf(nodeArgError), Errno.INVAL);
  const overflow = new RangeError('Maximum call stack size exceeded');
  assert.throws(() => errnoOf(overflow), /call stack/);
  assert.throws(() => errnoOf(new TypeError('x is not a function')), /not a function/);
});

test.run();
