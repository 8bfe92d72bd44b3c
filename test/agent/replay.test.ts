import assert from 'node:assert/strict';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha256Of } from '../../demo/disks.js';
import type { Action } from '../../schema/types.js';
import { makeAgentBox, requestAction, runAgent } from '../helpers/agent-box.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';
import { hashTree } from '../helpers/tree.js';

const IP = '10.0.0.10';
const HEX = '0A00000A';
const gone = (p: string) => access(p).then(() => false, () => true);

/** Everything an action may change: the images (seed files, generations, chunk store), not the logs. */
async function images(backup: string): Promise<Record<string, string>> {
  const all = await hashTree(backup);
  return Object.fromEntries(Object.entries(all).filter(([f]) => /(^|\/)(sda\.(raw\.)?gz|images\/|\.tbx-chunks\/)/.test(f)));
}

for (const format of ['chunked', 'gzip'] as const) {
  for (const action of ['backup', 'backup-again', 'restore'] as const satisfies readonly Exclude<Action, 'none'>[]) {
    test(`${format} ${action} already Succeeded, box reset before its config was removed -> not repeated: status re-stored, config removed`, async (t) => {
      const root = await tempDir(t);
      const shares = await makeShares(root, { withDefault: true });
      const box = await makeAgentBox(root, 'tb-a', IP);
      if (action !== 'backup') {
        await requestAction(box, shares, 'backup', 'r0', format);
        assert.equal((await runAgent(box, shares)).exitCode, 0);
      }
      await requestAction(box, shares, action, 'r1', format);
      const first = await runAgent(box, shares);
      assert.equal(first.exitCode, 0, first.all);
      const status = await readFile(join(shares.backup, IP, 'status.yaml'), 'utf8');
      assert.match(status, /phase: Succeeded/);
      const held = { images: await images(shares.backup), disk: await sha256Of(box.disk('sda')), diskTime: (await stat(box.disk('sda'))).mtimeMs };

      // The box lost power after storing Succeeded and before removing its config: it boots the same request.
      await requestAction(box, shares, action, 'r1', format);
      const replay = await runAgent(box, shares);
      assert.equal(replay.exitCode, 0, replay.all);
      assert.match(replay.all, new RegExp(`request r1 already Succeeded \\(attempt 1, finished .*\\); not repeating ${action}`));
      assert.deepEqual(await images(shares.backup), held.images, 'no image written, moved or rotated');
      assert.equal(await sha256Of(box.disk('sda')), held.disk);
      assert.equal((await stat(box.disk('sda'))).mtimeMs, held.diskTime, 'the disk was not written');
      assert.equal(await readFile(join(shares.backup, IP, 'status.yaml'), 'utf8'), status, 'the same Succeeded status, attempt 1');
      assert.ok(await gone(join(shares.cfg, HEX)), 'config removed this time');
    });
  }
}

for (const format of ['chunked', 'gzip'] as const) {
  for (const action of ['backup', 'backup-again'] as const) {
    test(`${format} ${action} cut off after its image was committed but before it reported -> the next boot keeps that image, nothing backed up again`, async (t) => {
      const root = await tempDir(t);
      const shares = await makeShares(root, { withDefault: true });
      const box = await makeAgentBox(root, 'tb-a', IP);
      if (action === 'backup-again') {
        await requestAction(box, shares, 'backup', 'r0', format);
        assert.equal((await runAgent(box, shares)).exitCode, 0);
        await writeFile(box.disk('sda'), Buffer.alloc(8 * 1024 * 1024, 0x21));
      }
      await requestAction(box, shares, action, 'r1', format);
      assert.equal((await runAgent(box, shares)).exitCode, 0);
      const held = await images(shares.backup);
      // What a power cut right after the commit leaves: the image, and a spooled Running attempt 1.
      const spool = join(shares.backup, IP, 'status.yaml');
      const running = (await readFile(spool, 'utf8')).replace('phase: Succeeded', 'phase: Running').replace(/^finishedAt: .*\n/m, '');
      await writeFile(spool, running);
      await requestAction(box, shares, action, 'r1', format);
      const again = await runAgent(box, shares);
      assert.equal(again.exitCode, 0, again.all);
      assert.match(again.all, /was committed by an earlier attempt of request r1; not backing it up again/);
      assert.deepEqual(await images(shares.backup), held, 'no image added, moved or rotated (gzip keeps the older copy)');
      const status = parse(await readFile(spool, 'utf8'));
      assert.deepEqual([status.phase, status.attempt, status.disks?.[0]?.image !== undefined], ['Succeeded', 2, true]);
      assert.ok(await gone(join(shares.cfg, HEX)));
    });
  }
}
