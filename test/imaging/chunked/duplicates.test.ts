import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { packPaths, storeAt } from '../../../imaging/chunked/layout.js';
import { listPacks } from '../../../imaging/chunked/pack-file.js';
import { runTbx } from '../../helpers/cli.js';
import { backedUpDisk, ctx, diskAt } from '../../helpers/chunk-store.js';
import { prng, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

for (const damaged of ['first', 'second'] as const) {
  test(`a chunk stored twice, the ${damaged} copy damaged -> verify reports it, restore and export use the intact copy`, async (t) => {
    const { share, box, disk, sha, s } = await backedUpDisk(t, 16 * MiB, 'os');

    // What a gc repack that crashed before deleting the old packs leaves: every chunk in two packs.
    // The copies get ids that sort before the originals, so they are the first copies.
    const root = storeAt(join(share.backup, '.tbx-chunks'));
    const originals = (await listPacks(root)).indexed;
    const copies: string[] = [];
    for (const [i, id] of originals.entries()) {
      const copy = `0000000000000000000000000000000${i}`;
      const [from, to] = [packPaths(root, id), packPaths(root, copy)];
      await mkdir(to.dir, { recursive: true });
      await copyFile(from.pack, to.pack);
      await copyFile(from.index, to.index);
      copies.push(copy);
    }
    for (const id of damaged === 'first' ? copies : originals) {
      const path = packPaths(root, id).pack;
      const bytes = await readFile(path);
      for (let o = 4096; o < bytes.length; o += 64 * 1024) bytes[o]! ^= 0x10;
      await writeFile(path, bytes);
    }

    const verify = await runTbx(['image', 'verify', '10.0.0.1', '--backup', share.backup]);
    assert.equal(verify.exitCode, 1, verify.all);
    assert.match(verify.stdout, /does not match its checksum .*another intact copy, which restore and export use/);

    await writeFile(disk, prng('garbage', 16 * MiB));
    const [image] = await s.list(box);
    await s.restore(image!, diskAt(disk), box, ctx);
    assert.equal(await sha256File(disk), sha, 'restored from the intact copies');

    const out = join(share.root, 'export.img');
    const exported = await runTbx(['image', 'export', '10.0.0.1', '--format', 'raw', '--output', out, '--backup', share.backup]);
    assert.equal(exported.exitCode, 0, exported.all);
    assert.equal(await sha256File(out), sha);
  });
}
