import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

test('EDITOR, VISUAL and PAGER in the environment (npm run, admin shells) -> reconcile still reads and writes git', async (t) => {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.165.98.30', { action: 'backup', request: 'r1' }) });
  const shares = await makeShares(root, { withDefault: true });
  const r = await runTbx(['reconcile', '--fleet', repo.bare, '--tftp', shares.tftp, '--backup', shares.backup, '--state-dir', shares.state], { EDITOR: 'vi', VISUAL: 'vi', PAGER: 'less', GIT_EDITOR: 'vi' });
  assert.equal(r.exitCode, 0, r.all);
  assert.match(await readFile(join(shares.cfg, '0AA5621E'), 'utf8'), /testbox-action-backup/);
});
