import assert from 'node:assert/strict';
import { createReadStream, createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { createGzip } from 'node:zlib';
import { runTbx } from '../../helpers/cli.js';
import { ctx, diskAt, makeShare, store } from '../../helpers/chunk-store.js';
import { makeTestDisk, prng, sha256File } from '../../helpers/disks.js';

const MiB = 1 << 20;

test('a seed image is imported as a generation and exported again, raw and gz, bit-exact', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.7');
  const disk = await makeTestDisk(join(share.root, 'disk'), 12 * MiB, 'seed-era');
  const sha = await sha256File(disk);
  await pipeline(createReadStream(disk), createGzip(), createWriteStream(join(box, 'sda.gz'))); // as the seed's dd | gzip -c

  const imported = await runTbx(['image', 'import', '10.0.0.7', '--backup', share.backup, '--json']);
  assert.equal(imported.exitCode, 0, imported.all);
  const [row] = JSON.parse(imported.stdout) as Array<{ generation: number; importedFrom: string }>;
  assert.deepEqual([row!.generation, row!.importedFrom], [1, 'sda.gz']);

  const raw = join(share.root, 'out.img');
  const e1 = await runTbx(['image', 'export', '10.0.0.7', '--format', 'raw', '--output', raw, '--backup', share.backup]);
  assert.equal(e1.exitCode, 0, e1.all);
  assert.equal(await sha256File(raw), sha);
  const gz = join(share.root, 'out.gz');
  assert.equal((await runTbx(['image', 'export', '10.0.0.7', '--generation', '1', '--format', 'gz', '--output', gz, '--backup', share.backup])).exitCode, 0);
  const { execa } = await import('execa');
  assert.equal((await execa('sh', ['-c', `gunzip -c ${gz} | sha256sum`])).stdout.split(' ')[0], sha);

  // The chunked generation restores like any other.
  await writeFile(disk, prng('broken', 12 * MiB));
  const s = store();
  const images = await s.list(box);
  await s.restore(images[0]!, diskAt(disk), box, ctx);
  assert.equal(await sha256File(disk), sha);
});

test('tbx image ls, du, verify and gc report the share; verify fails on damage', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const disk = await makeTestDisk(join(share.root, 'disk'), 8 * MiB, 'ls');
  await store().backup(diskAt(disk), box, { replace: false, ...ctx, box: { name: 'tb-ls' } });
  const ls = await runTbx(['image', 'ls', 'tb-ls', '--backup', share.backup, '--json']);
  assert.equal(ls.exitCode, 0, ls.all);
  const rows = JSON.parse(ls.stdout) as Array<{ ip: string; generation: number; storedBytes: number }>;
  assert.deepEqual(rows.map((r) => [r.ip, r.generation]), [['10.0.0.1', 1]]);
  const du = await runTbx(['image', 'du', '--backup', share.backup]);
  assert.match(du.stdout, /dedup and compression: .* stored, [\d.]+x/);
  assert.equal((await runTbx(['image', 'verify', '--backup', share.backup])).exitCode, 0);
  const gc = await runTbx(['image', 'gc', '--grace', '0', '--json', '--backup', share.backup]);
  assert.equal(gc.exitCode, 0, gc.all);
  assert.deepEqual((({ generations, deletedPacks, repackedPacks }) => ({ generations, deletedPacks, repackedPacks }))(JSON.parse(gc.stdout) as Record<string, number>), { generations: 1, deletedPacks: 0, repackedPacks: 0 });

  const { readdir, readFile } = await import('node:fs/promises');
  const packs = join(share.backup, '.tbx-chunks', 'packs');
  const sub = (await readdir(packs))[0]!;
  const pack = join(packs, sub, (await readdir(join(packs, sub))).find((n) => n.endsWith('.pack'))!);
  const bytes = await readFile(pack);
  bytes[100]! ^= 1;
  await writeFile(pack, bytes);
  const bad = await runTbx(['image', 'verify', '10.0.0.1', '--backup', share.backup]);
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stdout, /does not match its checksum/);
});
