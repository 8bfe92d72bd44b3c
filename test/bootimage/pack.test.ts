import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { packInitramfs, treeDigest } from '../../bootimage/pack.js';
import { tempDir } from '../helpers/tmp.js';

test('staged tree -> gzip newc cpio with every entry, owned by root; same tree -> same digest', async (t) => {
  const root = await tempDir(t);
  const stage = join(root, 'stage');
  await mkdir(join(stage, 'bin'), { recursive: true });
  await writeFile(join(stage, 'init'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await writeFile(join(stage, 'bin', 'busybox'), 'not really busybox\n');
  await symlink('/bin/busybox', join(stage, 'bin', 'sh'));
  const digest = await treeDigest(stage);

  const out = join(root, 'initrd.img');
  assert.ok((await packInitramfs(stage, out)) > 0);
  const list = await execa('sh', ['-c', 'gzip -dc "$1" | cpio -t -v --quiet', 'sh', out]);
  assert.match(list.stdout, /^-rwxr-xr-x .* root +root .* init$/m);
  assert.match(list.stdout, /^lrwxrwxrwx .* bin\/sh -> \/bin\/busybox$/m);
  assert.match(list.stdout, /bin\/busybox$/m);

  assert.equal(await treeDigest(stage), digest);
  await writeFile(join(stage, 'init'), '#!/bin/sh\necho changed\n', { mode: 0o755 });
  assert.notEqual(await treeDigest(stage), digest);
});
