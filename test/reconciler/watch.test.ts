import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { tbxBin } from '../../lib/package-root.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test('reconcile --watch: a merge to the repo is applied without waiting for the interval; SIGTERM ends it cleanly', async (t) => {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/a.yaml': box('a', '10.0.0.5') });
  const shares = await makeShares(root, { withDefault: true });
  const child = execa(process.execPath, [tbxBin(), 'reconcile', '--watch', '--interval', '600'], {
    env: { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state, TBX_LOG_FORMAT: 'json' },
    reject: false,
    all: true,
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.all?.on('data', (b: Buffer) => (out += b.toString()));
  const cfg = join(shares.cfg, '0A000005');
  const exists = () => access(cfg).then(() => true, () => false);
  assert.ok(await waitFor(async () => /pass complete/.test(out), 15_000), 'first pass ran');
  assert.equal(await exists(), false);
  await repo.commit({ 'testboxes/a.yaml': box('a', '10.0.0.5', { action: 'backup', request: 'r1' }) }, 'back up a');
  assert.ok(await waitFor(exists, 15_000), 'config written soon after the push, long before the 600 s interval');
  child.kill('SIGTERM');
  const r = await child;
  assert.equal(r.exitCode, 0, r.all);
});
