import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha256Of } from '../../demo/disks.js';
import { makeAgentBox, requestAction, runAgent } from '../helpers/agent-box.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const IP = '10.0.0.10';
const OTHER = '10.0.0.11';

// Every file the agent writes on the share, planted as a link to another box's image.
// progress.json is best-effort: its write is refused and the action goes on.
const planted: { file: (s: { backup: string; box: string }) => string; says?: RegExp; code?: number; bestEffort?: boolean }[] = [
  { file: ({ box }) => join(box, 'maintenance.log'), says: /maintenance\.log is a symlink; refusing to write logs through it/, code: 11 },
  { file: ({ box }) => join(box, 'maintenance-output.log'), says: /maintenance-output\.log is a symlink/, code: 11 },
  { file: ({ backup }) => join(backup, 'maintenance.log'), says: /maintenance\.log is a symlink/, code: 11 },
  { file: ({ box }) => join(box, 'status.yaml'), says: /symlink/ },
  { file: ({ box }) => join(box, 'testbox-info.txt'), says: /refusing to replace symlink .*testbox-info\.txt/ },
  { file: ({ box }) => join(box, 'testbox-info.zip'), says: /refusing to replace symlink .*testbox-info\.zip/ },
  { file: ({ box }) => join(box, 'progress.json'), bestEffort: true },
];

for (const p of planted) {
  const name = p.file({ backup: '<backup>', box: `<backup>/${IP}` });
  test(`${name} planted as a symlink to another box's image -> refused, that image untouched`, async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const box = await makeAgentBox(root, 'tb-a', IP);
    const boxDir = join(shares.backup, IP);
    const otherDir = join(shares.backup, OTHER);
    await mkdir(boxDir, { recursive: true });
    await mkdir(otherDir, { recursive: true });
    const precious = join(otherDir, 'sda.gz');
    await writeFile(precious, 'PRECIOUS IMAGE OF ANOTHER BOX');
    const target = p.file({ backup: shares.backup, box: boxDir });
    await symlink(precious, target);
    await requestAction(box, shares, 'refresh-info', 'r1', 'gzip');
    const disk = await sha256Of(box.disk('sda'));
    const r = await runAgent(box, shares);
    if (!p.bestEffort) assert.notEqual(r.exitCode, 0, r.all);
    if (p.code !== undefined) assert.equal(r.exitCode, p.code, r.all);
    if (p.says) assert.match(r.all, p.says);
    assert.equal((await lstat(target)).isSymbolicLink(), true, 'the link itself is left for the admin to see');
    assert.equal(await readFile(precious, 'utf8'), 'PRECIOUS IMAGE OF ANOTHER BOX');
    assert.equal(await sha256Of(box.disk('sda')), disk);
  });
}
