import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { box, makeFleetRepo, seedSite, type FleetRepo } from './fleet-repo.js';
import { makeShares, type Shares } from './shares.js';

/** A box that was backed up through a merged pull request, with the agent's status in git and its lines in the share log. */
export interface BackedUpSite {
  repo: FleetRepo;
  shares: Shares;
  env: Record<string, string>;
  digest: string;
}

/** Build {@link BackedUpSite} under `root`: PR #7 asks tb-a for a backup, Rex merges it, the agent reports Succeeded. */
export async function backedUpSite(root: string): Promise<BackedUpSite> {
  const shares = await makeShares(root, { withDefault: true });
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.165.98.230', { labels: { rack: 'b3' } }), 'testboxes/tb-b.yaml': box('tb-b', '10.165.98.231') });
  await repo.mergePr(7, { 'testboxes/tb-a.yaml': box('tb-a', '10.165.98.230', { action: 'backup', request: 'b-1', labels: { rack: 'b3' } }) }, 'Back up tb-a before the upgrade');
  const digest = 'c'.repeat(64);
  await repo.commit(
    { 'status/tb-a.yaml': { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: '10.165.98.230', request: 'b-1', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: '2026-11-25T10:00:00Z', finishedAt: '2026-11-25T10:03:00Z', message: 'backup of sda done', disks: [{ device: 'sda', bytes: 2048, sha256: digest, seconds: 2.5, image: 'sda.gz' }] } },
    'tb-a: backup Succeeded (request b-1)',
    { name: 'tbx agent (tb-a)', email: 'tbx-agent+tb-a@localhost' },
  );
  await mkdir(join(shares.backup, '10.165.98.230'), { recursive: true });
  await writeFile(join(shares.backup, '10.165.98.230', 'sda.gz'), Buffer.alloc(512));
  await writeFile(join(shares.backup, 'maintenance.log'), "2026-11-25T10:00:00+00:00: 10.165.98.230: tb-a says hi.\n2026-11-25T10:00:01+00:00: 10.165.98.230: info: Executing 'backup'.\n");
  return { repo, shares, digest, env: { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state } };
}
