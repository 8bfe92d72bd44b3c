import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { B_IP, chunkedSite } from '../../helpers/chunked-site.js';
import { runTbx } from '../../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../../helpers/fleet-repo.js';
import { makeShares } from '../../helpers/shares.js';
import { tempDir } from '../../helpers/tmp.js';

test('plan --format markdown -> a PR comment with images, warnings a reviewer must see, totals; exit 2', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const digest = 'f6ee48bc0d7698cbb8f7bf7ef36dd8bcb84fab6a01d93d82f374e3f20a103f7b';
  const repo = await makeFleetRepo(root, {
    'fleet.yaml': seedSite(),
    'testboxes/tb-a.yaml': box('tb-a', '10.165.98.230', { action: 'restore', request: 'r-2', disks: ['sda'] }),
    'testboxes/tb-b.yaml': box('tb-b', '10.165.98.231', { action: 'restore', request: 'r-3' }),
    'testboxes/tb-c.yaml': box('tb-c', '10.165.98.232'),
    'status/tb-a.yaml': { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: '10.165.98.230', request: 'r-1', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: '2026-10-01T10:00:00Z', finishedAt: '2026-10-01T10:01:00Z', disks: [{ device: 'sda', bytes: 1024, sha256: digest, seconds: 1, image: 'sda.gz' }] },
  });
  const dir = join(shares.backup, '10.165.98.230');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sda.gz'), Buffer.alloc(3 * 1024));
  const old = new Date(Date.now() - 40 * 86_400_000);
  await utimes(join(dir, 'sda.gz'), old, old);
  const r = await runTbx(['plan', '--format', 'markdown'], { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state });
  assert.equal(r.exitCode, 2, r.all);
  const md = r.stdout;
  assert.match(md, /^### tbx plan: 2 to write, 0 to delete, 0 to commit$/m);
  assert.match(md, /^> \[!WARNING\]$/m);
  assert.match(md, /^> - \*\*restores 1 box\*\*: tb-a; their disks are overwritten$/m);
  assert.match(md, /^> - tb-a: image `sda\.gz` is 40 days old \(taken \d{4}-\d\d-\d\d\)$/m);
  assert.match(md, /^> - tb-b is blocked: restore requested but the backup share holds no image/m);
  assert.match(md, new RegExp(`^\\| tb-a \\| restore \\| \`r-2\` \\| 🟢 create \\| \`sda\\.gz\` · ${old.toISOString().slice(0, 10)} · 3\\.0 KiB stored · \`${digest.slice(0, 12)}\` \\| sda \\| restore r-2 requested \\|$`, 'm'));
  assert.match(md, /^\| tb-b \| restore \| `r-3` \| ⛔ blocked \| - \| all \|/m);
  assert.doesNotMatch(md, /^\| tb-c/m, 'idle boxes are left out of the table');
  assert.match(md, /^\*\*Totals:\*\* 3 box\(es\): 1 create, 1 blocked, 1 noop; pending actions: 1 restore \(1 idle box\(es\) not listed\)\.$/m);
  assert.match(md, /^\+ pxelinux\.cfg\/0AA562E6   \(tb-a\)$/m);
});

test('plan --format markdown for a forced restore from another box\'s generation -> the source, generation, force and digest are in the comment', async (t) => {
  const s = await chunkedSite(await tempDir(t));
  await s.repo.mergePr(9, { 'testboxes/tb-b.yaml': box('tb-b', B_IP, { disks: ['sda'], action: 'restore', request: 'r-9', source: 'tb-a@1', force: true }) }, 'Restore tb-b from the golden tb-a');
  const r = await runTbx(['plan', '--format', 'markdown'], s.env);
  assert.equal(r.exitCode, 2, r.all);
  const md = r.stdout;
  assert.match(md, /^> - \*\*restores 1 box\*\*: tb-b; their disks are overwritten$/m);
  assert.match(md, /^> - \*\*restores tb-b from tb-a generation 1\*\* \(force: identity gate bypassed: /m);
  const digest = s.first.digest!.slice(0, 'blake3-tree:'.length + 12);
  assert.match(md, new RegExp(`^\\| tb-b \\| restore \\| \`r-9\` \\| 🟢 create \\| from tb-a · gen 1 · \`images/sda/0+1\\.tbxi\` · \\d{4}-\\d\\d-\\d\\d · 4\\.0 MiB disk, \\S+ \\S+ stored · \`${digest}\` \\|`, 'm'));
  // tb-a's own row (backup-again done) shows its newest generation with the real disk size, 0 B new.
  assert.match(md, new RegExp(`^\\| tb-a \\| backup-again \\| \`b-2\` \\| .* \\| gen 2 · \`images/sda/0+2\\.tbxi\` · \\S+ · 4\\.0 MiB disk, ${s.second.storedBytes} B stored · \`${digest}\` \\|`, 'm'));
});
