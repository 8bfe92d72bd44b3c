import assert from 'node:assert/strict';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { createGzip } from 'node:zlib';
import { GzipStore } from '../../../imaging/gzip-store.js';
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

test("a seed .raw.gz and a tbx gzip image import as generations; the tbx image's .disk.json identity carries over", async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.8');
  const sdb = await makeTestDisk(join(share.root, 'sdb'), 8 * MiB, 'seed-raw');
  const sdbSha = await sha256File(sdb);
  await pipeline(createReadStream(sdb), createGzip(), createWriteStream(join(box, 'sdb.raw.gz'))); // the seed's other name
  const sda = await makeTestDisk(join(share.root, 'sda'), 12 * MiB, 'tbx-gzip');
  const sdaSha = await sha256File(sda);
  await new GzipStore().backup({ ...diskAt(sda), model: 'QEMU HARDDISK', serial: 'QM00001' }, box, { replace: false, ...ctx, box: { ip: '10.0.0.8', name: 'tb-eight' } });

  const imported = await runTbx(['image', 'import', '10.0.0.8', '--backup', share.backup, '--json']);
  assert.equal(imported.exitCode, 0, imported.all);
  assert.deepEqual((JSON.parse(imported.stdout) as Array<{ device: string; importedFrom: string }>).map((r) => [r.device, r.importedFrom]), [['sda', 'sda.gz'], ['sdb', 'sdb.raw.gz']]);
  const images = await store().list(box);
  const [a, b] = [images.find((i) => i.device === 'sda')!, images.find((i) => i.device === 'sdb')!];
  assert.deepEqual(a.origin, { size: 12 * MiB, model: 'QEMU HARDDISK', serial: 'QM00001', ip: '10.0.0.8', name: 'tb-eight' });
  assert.deepEqual(b.origin, { size: 8 * MiB, ip: '10.0.0.8' });

  for (const [image, path, sha] of [[a, sda, sdaSha], [b, sdb, sdbSha]] as const) {
    await writeFile(path, prng('broken', image.logicalBytes!));
    await store().restore(image, diskAt(path, image.device), box, ctx);
    assert.equal(await sha256File(path), sha);
  }
});

test('an export that fails half-way leaves no file behind', async (t) => {
  const share = await makeShare(t);
  const box = await share.box('10.0.0.1');
  const disk = await makeTestDisk(join(share.root, 'disk'), 24 * MiB, 'export');
  await store().backup(diskAt(disk), box, { replace: false, ...ctx });
  const packs = join(share.backup, '.tbx-chunks', 'packs');
  const sub = (await readdir(packs))[0]!;
  const pack = join(packs, sub, (await readdir(join(packs, sub))).find((n) => n.endsWith('.pack'))!);
  const bytes = await readFile(pack);
  bytes[bytes.length - 100]! ^= 1; // in the last frame: the export has written data before it gets there
  await writeFile(pack, bytes);

  const out = join(share.root, 'out', 'disk.img');
  await mkdir(join(share.root, 'out'));
  const r = await runTbx(['image', 'export', '10.0.0.1', '--format', 'raw', '--output', out, '--backup', share.backup]);
  assert.notEqual(r.exitCode, 0, r.all);
  assert.match(r.all, /does not match its checksum/);
  assert.deepEqual(await readdir(join(share.root, 'out')), [], 'neither the image nor a temp file is left');
});
