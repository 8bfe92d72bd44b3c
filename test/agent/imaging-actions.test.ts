import assert from 'node:assert/strict';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { createGzip } from 'node:zlib';
import { makeDisk, sha256Of } from '../../demo/disks.js';
import { pxeBoot, type SimBox } from '../../demo/pxe-boot.js';
import { hexIp } from '../../lib/hex-ip.js';
import { renderBoxConfig, type BoxRequest } from '../../pxe/render.js';
import { readSpooledStatus } from '../../share/spool.js';
import type { Site } from '../../schema/types.js';
import { prng } from '../helpers/disks.js';
import { makeShares, type Shares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const MiB = 1 << 20;
const site = (policy: Partial<Site['policy']> = {}): Site => ({
  apiVersion: 'tbx/v1',
  kind: 'Site',
  boot: { nfsServer: '10.0.0.100', nfsRoot: '/export/root', gateway: '10.0.0.254', netmask: '255.255.255.0', ethDevice: 'eth0', ipConfig: 'static', kernel: 'k', initrd: 'i', extraArgs: [] },
  policy: { maxConcurrent: 10, maxAttempts: 3, actionTimeout: '2h', timezone: 'UTC', keepGenerations: 3, imageFormat: 'chunked', skipFreeSpace: true, ...policy },
});

async function boot(shares: Shares, box: SimBox, req: Omit<BoxRequest, 'name' | 'ip'>, s = site()) {
  await writeFile(join(shares.cfg, hexIp(box.ip)), renderBoxConfig(s, { name: box.name, ip: box.ip, ...req }));
  const r = await pxeBoot(box, { tftp: shares.tftp, backup: shares.backup, stateDir: shares.state });
  return { ...r, status: (await readSpooledStatus(shares.backup, box.ip)).status };
}

async function makeBox(root: string, name: string, ip: string, seed: string): Promise<SimBox & { disk: string }> {
  const box = { name, ip, root: join(root, name) };
  return { ...box, disk: await makeDisk(join(box.root, 'dev'), join(box.root, 'sys', 'block'), 'sda', 16 * MiB, seed) };
}

test('restore with source: a box is restored from another box\'s image (golden image)', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root);
  const golden = await makeBox(root, 'tb-golden', '10.0.0.1', 'golden');
  const other = await makeBox(root, 'tb-other', '10.0.0.2', 'other');
  const backed = await boot(shares, golden, { action: 'backup', request: 'r1' });
  assert.equal(backed.exitCode, 0, backed.output);
  assert.equal(backed.status?.disks?.[0]?.generation, 1);
  assert.equal(backed.status?.disks?.[0]?.mode, 'whole-disk');

  const refused = await boot(shares, other, { action: 'restore', request: 'r2', source: { ip: golden.ip, generation: 1 } });
  assert.equal(refused.exitCode, 20, 'another box\'s image needs force: true');
  assert.match(refused.output, /taken from another box \(tb-golden, 10\.0\.0\.1\).*set force: true/);
  assert.notEqual(await sha256Of(other.disk), await sha256Of(golden.disk), 'nothing written');

  const restored = await boot(shares, other, { action: 'restore', request: 'r3', source: { ip: golden.ip, generation: 1 }, force: true });
  assert.equal(restored.exitCode, 0, restored.output);
  assert.match(restored.output, /restoring anyway because the request says force: true/);
  assert.equal(await sha256Of(other.disk), await sha256Of(golden.disk));
  assert.equal(restored.status?.disks?.[0]?.digest, backed.status?.disks?.[0]?.digest, 'the restored disk has the digest of the image');
});

test('a missing source generation fails the restore (code 20) and writes nothing', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root);
  const golden = await makeBox(root, 'tb-golden', '10.0.0.1', 'golden');
  const other = await makeBox(root, 'tb-other', '10.0.0.2', 'other');
  assert.equal((await boot(shares, golden, { action: 'backup', request: 'r1' })).exitCode, 0);
  const before = await sha256Of(other.disk);
  const r = await boot(shares, other, { action: 'restore', request: 'r2', source: { ip: golden.ip, generation: 7 }, force: true });
  assert.equal(r.exitCode, 20);
  assert.equal(await sha256Of(other.disk), before);
});

test("the seed's <dev>.gz still restores, and testbox-format=gzip still writes it", async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root);
  const box = await makeBox(root, 'tb-seed', '10.0.0.3', 'seed');
  const original = await sha256Of(box.disk);
  const gz = await boot(shares, box, { action: 'backup', request: 'r1' }, site({ imageFormat: 'gzip' }));
  assert.equal(gz.exitCode, 0, gz.output);
  assert.equal(gz.status?.disks?.[0]?.image, 'sda.gz');
  assert.equal(gz.status?.disks?.[0]?.sha256, original);

  // A seed-era image: no sidecar, written by dd | gzip.
  const dir = join(shares.backup, box.ip);
  await rm(join(dir, 'sda.gz.sha256'));
  await pipeline(createReadStream(box.disk), createGzip(), createWriteStream(join(dir, 'sda.gz')));
  await writeFile(box.disk, prng('broken', 16 * MiB));
  const r = await boot(shares, box, { action: 'restore', request: 'r2' });
  assert.equal(r.exitCode, 0, r.output);
  assert.equal(await sha256Of(box.disk), original);
});

test('backup-again keeps testbox-keep generations', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root);
  const box = await makeBox(root, 'tb-keep', '10.0.0.4', 'keep');
  assert.equal((await boot(shares, box, { action: 'backup', request: 'r0' })).exitCode, 0);
  for (let i = 1; i <= 3; i++) {
    const r = await boot(shares, box, { action: 'backup-again', request: `r${i}` }, site({ keepGenerations: 2 }));
    assert.equal(r.exitCode, 0, r.output);
    assert.equal(r.status?.disks?.[0]?.generation, i + 1);
  }
  assert.deepEqual(await readdir(join(shares.backup, box.ip, 'images', 'sda')), ['00000003.tbxi', '00000004.tbxi']);
});
