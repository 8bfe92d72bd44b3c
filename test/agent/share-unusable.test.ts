import assert from 'node:assert/strict';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { git } from '../helpers/git.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

test('backup share without its marker -> exit 11, Failed committed to git with a counted attempt, config kept', async (t) => {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.165.98.30', { action: 'backup', request: 'r1' }) });
  const shares = await makeShares(root, { withDefault: true });
  await rm(join(shares.backup, 'testbox-backup'));
  await writeFile(join(shares.cfg, '0AA5621E'), '# managed-by: tbx box=tb-a request=r1 action=backup\nAPPEND testbox-action-backup testbox-request=r1 testbox-name=tb-a\n');
  const cmdline = join(root, 'cmdline');
  await writeFile(cmdline, 'BOOT_IMAGE=vmlinuz testbox-action-backup ip=10.165.98.30:10.165.98.101:10.165.98.1:255.255.254.0:maintenance:eth0 testbox-request=r1 testbox-name=tb-a\n');
  const agent = () =>
    runTbx(['agent', '--tftp', shares.tftp, '--backup', shares.backup, '--ip', '10.165.98.30', '--hostname', 'tb-a', '--cmdline', cmdline, '--sys-block', join(root, 'sys'), '--dev-dir', join(root, 'dev'), '--no-reboot', '--no-mount', '--share-wait', '0', '--fleet', repo.bare, '--state-dir', join(root, 'agent-state')]);

  for (const attempt of [1, 2]) {
    const r = await agent();
    assert.equal(r.exitCode, 11, r.all);
    const status = parse(await git(repo.bare, ['show', 'main:status/tb-a.yaml'])) as Record<string, unknown>;
    assert.deepEqual([status.phase, status.attempt, status.exitCode, status.request], ['Failed', attempt, 11, 'r1']);
  }
  const failed = (await repo.log()).filter((s) => s === 'tb-a: backup Failed (request r1)');
  assert.equal(failed.length, 2);
  // A failed attempt keeps the config, so the next boot retries.
  await access(join(shares.cfg, '0AA5621E'));
});
