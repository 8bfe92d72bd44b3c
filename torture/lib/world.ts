import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { tbxBin } from '../../lib/package-root.js';
import { makeFleetRepo, type FleetRepo } from '../../test/helpers/fleet-repo.js';
import { git } from '../../test/helpers/git.js';
import { makeShares, type Shares } from '../../test/helpers/shares.js';

/** A live site for torture runs: fleet repo with a bare remote, both shares, and the env for `tbx`. */
export interface World {
  root: string;
  repo: FleetRepo;
  shares: Shares;
  env: Record<string, string>;
  base: string;
}

/** Build a world from `files` (the base revision) and reconcile it once. */
export async function makeWorld(root: string, files: Record<string, unknown>): Promise<World> {
  const repo = await makeFleetRepo(root, files);
  const shares = await makeShares(root, { withDefault: true });
  const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state, TBX_LOG_FORMAT: 'json', TBX_LOG_LEVEL: 'warn' };
  const base = (await git(repo.work, ['rev-parse', 'HEAD'])).trim();
  return { root, repo, shares, env, base };
}

/** Run the real CLI; never throws on exit codes. */
export async function tbx(world: World, args: string[], extraEnv: Record<string, string> = {}) {
  return execa(process.execPath, [tbxBin(), ...args], { env: { ...world.env, ...extraEnv }, reject: false, all: true });
}

/**
 * Make the remote's main branch be `base` plus exactly these changes (force-push, so cases
 * do not pile up): files set or deleted, symlinks created.
 */
export async function pushRevision(world: World, files: Record<string, string | Uint8Array | null>, links: Record<string, string> = {}, message = 'torture case'): Promise<void> {
  const w = world.repo.work;
  await git(w, ['reset', '--quiet', '--hard', world.base]);
  await git(w, ['clean', '-qfdx']);
  for (const [p, v] of Object.entries(files)) {
    const full = join(w, p);
    await rm(full, { recursive: true, force: true });
    if (v === null) continue;
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, v);
  }
  for (const [p, target] of Object.entries(links)) {
    const full = join(w, p);
    await rm(full, { recursive: true, force: true });
    await mkdir(dirname(full), { recursive: true });
    await symlink(target, full);
  }
  await git(w, ['add', '--all']);
  await git(w, ['commit', '--quiet', '--allow-empty', '-m', message]);
  await git(w, ['push', '--quiet', '--force', 'origin', 'HEAD:main']);
}
