import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { silentLogger } from '../../lib/logger.js';
import { applyPlan } from '../../reconciler/apply.js';
import { fingerprint } from '../../reconciler/observe.js';
import type { Change, Plan } from '../../reconciler/plan-types.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

function planOf(changes: Change[]): Plan {
  return { revision: null, boxes: [{ name: 'a', ip: '10.0.0.5', hex: '0A000005', action: 'backup', request: 'r', outcome: 'create', reason: 'test', phase: null, attempt: null, changes }], siteChanges: [], unmanaged: [], diagnostics: [], maxConcurrent: 10, awaitingComeback: [] };
}
const OWN = '# managed-by: tbx box=a request=r action=backup\nPATH bios\n';

describe('applyPlan', () => {
  test('write planned on an empty slot, but a file appeared meanwhile -> skipped as stale, file untouched', async (t) => {
    const s = await makeShares(await tempDir(t));
    await writeFile(join(s.cfg, '0A000005'), 'hand-made\n');
    const r = await applyPlan(planOf([{ op: 'write-pxe', box: 'a', hex: '0A000005', content: OWN, expect: null }]), { tftpRoot: s.tftp, backupRoot: s.backup, commit: null, log: silentLogger() });
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0]!.reason, /stale plan/);
    assert.equal(await readFile(join(s.cfg, '0A000005'), 'utf8'), 'hand-made\n');
  });

  test('delete of a file the admin edited since it was observed -> skipped, file untouched', async (t) => {
    const s = await makeShares(await tempDir(t));
    await writeFile(join(s.cfg, '0A000005'), `${OWN}# edited by hand\n`);
    const r = await applyPlan(planOf([{ op: 'delete-pxe', box: 'a', hex: '0A000005', expect: fingerprint(OWN) }]), { tftpRoot: s.tftp, backupRoot: s.backup, commit: null, log: silentLogger() });
    assert.equal(r.skipped.length, 1);
    assert.ok((await readdir(s.cfg)).includes('0A000005'));
  });

  test('delete of an unchanged own file -> gone', async (t) => {
    const s = await makeShares(await tempDir(t));
    await writeFile(join(s.cfg, '0A000005'), OWN);
    const r = await applyPlan(planOf([{ op: 'delete-pxe', box: 'a', hex: '0A000005', expect: fingerprint(OWN) }]), { tftpRoot: s.tftp, backupRoot: s.backup, commit: null, log: silentLogger() });
    assert.equal(r.applied.length, 1);
    assert.deepEqual(await readdir(s.cfg), []);
  });

  test('pxelinux.cfg is a symlink out of the share -> the write fails, nothing lands outside', async (t) => {
    const root = await tempDir(t);
    const s = await makeShares(root);
    const outside = join(root, 'outside');
    await mkdir(outside);
    await import('node:fs/promises').then((fs) => fs.rm(s.cfg, { recursive: true }));
    await symlink(outside, s.cfg);
    const r = await applyPlan(planOf([{ op: 'write-pxe', box: 'a', hex: '0A000005', content: OWN, expect: null }]), { tftpRoot: s.tftp, backupRoot: s.backup, commit: null, log: silentLogger() });
    assert.equal(r.failed.length, 1);
    assert.match(r.failed[0]!.error, /symlink/);
    assert.deepEqual(await readdir(outside), []);
  });

  test('one failing change does not stop the others', async (t) => {
    const s = await makeShares(await tempDir(t));
    await mkdir(join(s.cfg, '0A000005')); // a directory where a file should go
    const other: Change = { op: 'write-pxe', box: 'b', hex: '0A000006', content: OWN, expect: null };
    const r = await applyPlan(planOf([{ op: 'delete-pxe', box: 'a', hex: '0A000005', expect: 'x' }, other]), { tftpRoot: s.tftp, backupRoot: s.backup, commit: null, log: silentLogger() });
    assert.equal(r.applied.length, 1);
    assert.equal(await readFile(join(s.cfg, '0A000006'), 'utf8'), OWN);
  });
});
