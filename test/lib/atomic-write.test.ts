import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { removeFile, writeFileAtomic } from '../../lib/atomic-write.js';
import { UnsafePathError } from '../../lib/errors.js';
import { resolveUnder } from '../../lib/safe-path.js';
import { tempDir } from '../helpers/tmp.js';

describe('writeFileAtomic', () => {
  test('replaces content whole and leaves no temp file', async (t) => {
    const dir = await tempDir(t);
    const p = join(dir, 'f');
    await writeFileAtomic(p, 'one');
    await writeFileAtomic(p, 'two');
    assert.equal(await readFile(p, 'utf8'), 'two');
    assert.deepEqual(await readdir(dir), ['f']);
  });

  test('refuses to replace a symlink (its target stays as it was)', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'target'), 'keep');
    await symlink(join(dir, 'target'), join(dir, 'link'));
    await assert.rejects(writeFileAtomic(join(dir, 'link'), 'evil'), UnsafePathError);
    assert.equal(await readFile(join(dir, 'target'), 'utf8'), 'keep');
  });

  test('refuses to write through a symlinked directory below the share root', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'share'));
    await mkdir(join(dir, 'elsewhere'));
    await symlink(join(dir, 'elsewhere'), join(dir, 'share', 'sub'));
    await assert.rejects(writeFileAtomic(join(dir, 'share', 'sub', 'f'), 'x', { root: join(dir, 'share') }), /symlink/);
    assert.deepEqual(await readdir(join(dir, 'elsewhere')), []);
  });

  test('removeFile removes regular files only', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'f'), 'x');
    assert.equal(await removeFile(join(dir, 'f')), true);
    assert.equal(await removeFile(join(dir, 'f')), false);
    await mkdir(join(dir, 'd'));
    await assert.rejects(removeFile(join(dir, 'd')), UnsafePathError);
  });
});

describe('resolveUnder', () => {
  test('plain segments join; dot-dot, separators and NUL are refused', () => {
    assert.equal(resolveUnder('/srv/backup', '10.0.0.5', 'sda.gz'), '/srv/backup/10.0.0.5/sda.gz');
    for (const bad of ['..', '../etc', 'a/b', '/abs', 'x\0y', '', '.']) assert.throws(() => resolveUnder('/srv/backup', bad), UnsafePathError, JSON.stringify(bad));
  });
});
