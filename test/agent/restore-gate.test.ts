import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { breakDisk, sha256Of } from '../../demo/disks.js';
import type { TestboxStatus } from '../../schema/types.js';
import { makeAgentBox, requestAction, runAgent } from '../helpers/agent-box.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const IP = '10.0.0.10';
const MiB = 1 << 20;

for (const format of ['chunked', 'gzip'] as const) {
  describe(`restore identity gate and read-back (${format})`, () => {
    async function backedUp(t: Parameters<typeof tempDir>[0], disks: Record<string, number> = { sda: 8 }) {
      const root = await tempDir(t);
      const shares = await makeShares(root, { withDefault: true });
      const box = await makeAgentBox(root, 'tb-a', IP, disks);
      await requestAction(box, shares, 'backup', 'r1', format);
      const r = await runAgent(box, shares);
      assert.equal(r.exitCode, 0, r.all);
      const status = async () => parse(await readFile(join(shares.backup, IP, 'status.yaml'), 'utf8')) as TestboxStatus;
      return { shares, box, status, backup: await status() };
    }

    test('backup records each disk\'s size, model and serial in the status', async (t) => {
      const { box, backup } = await backedUp(t);
      const d = backup.disks![0]!;
      assert.equal(d.size, 8 * MiB);
      assert.equal(d.model, 'TBX DEMO DISK');
      assert.equal(d.serial, (await readFile(join(box.sysBlock, 'sda', 'device', 'serial'), 'utf8')).trim());
    });

    test('restore -> the status records the image digest and the read-back digest, equal', async (t) => {
      const { shares, box, status } = await backedUp(t);
      const original = await sha256Of(box.disk('sda'));
      await breakDisk(box.disk('sda'), 7);
      await requestAction(box, shares, 'restore', 'r2', format);
      const r = await runAgent(box, shares);
      assert.equal(r.exitCode, 0, r.all);
      assert.equal(await sha256Of(box.disk('sda')), original);
      const d = (await status()).disks![0]!;
      const imageDigest = d.sha256 ?? d.digest;
      assert.ok(imageDigest, 'the image digest is recorded');
      assert.equal(d.readBack, imageDigest, 'the disk read back has the image digest');
      assert.match(r.all, /read back (blake3-tree:)?[0-9a-f]{64}/);
    });

    test('a disk with another serial -> refused (20), 0 bytes written; force: true restores it', async (t) => {
      const { shares, box, status } = await backedUp(t);
      const original = await sha256Of(box.disk('sda'));
      await writeFile(join(box.sysBlock, 'sda', 'device', 'serial'), 'REPLACED-DISK\n');
      await breakDisk(box.disk('sda'), 7);
      const broken = await sha256Of(box.disk('sda'));
      await requestAction(box, shares, 'restore', 'r2', format);
      const refused = await runAgent(box, shares);
      assert.equal(refused.exitCode, 20, refused.all);
      assert.match(refused.all, /has serial REPLACED-DISK \(TBX DEMO DISK\), but .* was taken from serial [0-9a-f]{12}.*set force: true/);
      assert.equal(await sha256Of(box.disk('sda')), broken, 'not one byte written');
      assert.equal((await status()).phase, 'Failed');

      await requestAction(box, shares, 'restore', 'r3', format, { force: true });
      const r = await runAgent(box, shares);
      assert.equal(r.exitCode, 0, r.all);
      assert.equal(await sha256Of(box.disk('sda')), original);
    });

    test('the gate checks every disk before writing any: sdb refused -> sda untouched too', async (t) => {
      const { shares, box } = await backedUp(t, { sda: 4, sdb: 4 });
      await breakDisk(box.disk('sda'), 3);
      await breakDisk(box.disk('sdb'), 3);
      const before = [await sha256Of(box.disk('sda')), await sha256Of(box.disk('sdb'))];
      await writeFile(join(box.sysBlock, 'sdb', 'device', 'serial'), 'OTHER\n');
      await requestAction(box, shares, 'restore', 'r2', format);
      const r = await runAgent(box, shares);
      assert.equal(r.exitCode, 20, r.all);
      assert.deepEqual([await sha256Of(box.disk('sda')), await sha256Of(box.disk('sdb'))], before);
    });

    test('a smaller disk -> refused even with force: true, 0 bytes written', async (t) => {
      const { shares, box } = await backedUp(t);
      await writeFile(join(box.sysBlock, 'sda', 'size'), `${(4 * MiB) / 512}\n`);
      const before = await sha256Of(box.disk('sda'));
      await requestAction(box, shares, 'restore', 'r2', format, { force: true });
      const r = await runAgent(box, shares);
      assert.equal(r.exitCode, 20, r.all);
      assert.match(r.all, /fewer than the 8388608 .*force: true does not override this/);
      assert.equal(await sha256Of(box.disk('sda')), before);
    });
  });
}
