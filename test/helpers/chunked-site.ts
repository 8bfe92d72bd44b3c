import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskResult } from '../../imaging/store.js';
import { boxDir } from '../../share/layout.js';
import { ctx, diskAt, store } from './chunk-store.js';
import { makeTestDisk } from './disks.js';
import { box, makeFleetRepo, seedSite, type FleetRepo } from './fleet-repo.js';
import { makeShares, type Shares } from './shares.js';

/** The IPs of {@link chunkedSite}'s two boxes. */
export const A_IP = '10.165.98.230';
export const B_IP = '10.165.98.231';

/** A site whose tb-a was backed up twice in the chunked format (the default), as the agent would. */
export interface ChunkedSite {
  repo: FleetRepo;
  shares: Shares;
  env: Record<string, string>;
  /** Logical size of tb-a's sda. */
  diskBytes: number;
  /** Generation 1 (request b-1, backup) and generation 2 (request b-2, backup-again of the unchanged disk). */
  first: DiskResult;
  second: DiskResult;
}

/**
 * Build {@link ChunkedSite} under `root`: tb-a and tb-b on real shares; tb-a's 4 MiB disk is
 * backed up by the real chunk store (backup b-1, then backup-again b-2 of the same content,
 * which stores next to nothing new), each with the agent's Succeeded status committed.
 */
export async function chunkedSite(root: string): Promise<ChunkedSite> {
  const shares = await makeShares(root, { withDefault: true });
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', A_IP, { disks: ['sda'] }), 'testboxes/tb-b.yaml': box('tb-b', B_IP, { disks: ['sda'] }) });
  const diskBytes = 4 << 20;
  await mkdir(join(root, 'disks'), { recursive: true });
  const disk = await makeTestDisk(join(root, 'disks', 'tb-a-sda'), diskBytes, 'tb-a');
  const dir = boxDir(shares.backup, A_IP);
  await mkdir(dir, { recursive: true });
  const s = store({ workers: 0 });
  const agent = { name: 'tbx agent (tb-a)', email: 'tbx-agent+tb-a@localhost' };
  const results: DiskResult[] = [];
  for (const [request, action] of [['b-1', 'backup'], ['b-2', 'backup-again']] as const) {
    await repo.commit({ 'testboxes/tb-a.yaml': box('tb-a', A_IP, { disks: ['sda'], action, request }) }, `tb-a: ${action} (request ${request})`);
    const r = await s.backup(diskAt(disk), dir, { replace: action === 'backup-again', box: { ip: A_IP, name: 'tb-a' }, ...ctx });
    results.push(r);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await repo.commit(
      { 'status/tb-a.yaml': { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: A_IP, request, action, attempt: 1, phase: 'Succeeded', startedAt: now, finishedAt: now, message: `${action} of sda done`, disks: [{ device: 'sda', bytes: r.bytes, digest: r.digest, seconds: r.seconds, image: r.image, storedBytes: r.storedBytes, mode: r.mode, generation: r.generation, size: diskBytes }] } },
      `tb-a: ${action} Succeeded (request ${request})`,
      agent,
    );
  }
  return { repo, shares, diskBytes, first: results[0]!, second: results[1]!, env: { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state } };
}
