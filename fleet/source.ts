import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gitFailure, UsageError } from '../lib/errors.js';
import { acquireLock } from '../lib/lock.js';
import { redact } from '../lib/redact.js';
import { gitAt } from './git.js';

/** A fleet repo opened for reading: a directory holding the files at `revision`. */
export interface FleetCheckout {
  /** Directory whose files are the desired state. */
  dir: string;
  /** Commit the files are at; null for a plain directory that is not a git work tree. */
  revision: string | null;
  /** Branch followed (for clones) or checked out (for work trees). */
  branch: string | null;
  /** True when `dir` is the caller's own checkout, read in place and never reset. */
  inPlace: boolean;
  /** The spec, with any credentials removed, for messages. */
  display: string;
}

/** How to open a fleet spec. */
export interface OpenOptions {
  /** Where tbx keeps its own clones. */
  stateDir: string;
  /** Branch to follow; default: the remote's default branch. */
  branch?: string;
  /**
   * `read`: a local work tree or plain directory is read in place (PR checks, validate);
   * `sync`: always a clone of its own, fetched and hard-reset to the remote branch.
   */
  mode: 'read' | 'sync';
  /** Clone with --depth 1 (the agent only needs the tip). */
  shallow?: boolean;
  /** Further remote branches to fetch (e.g. the protected branch). */
  alsoFetch?: string[];
}

/**
 * Open `spec`, which is anything `git clone` accepts or a plain directory, and bring it to
 * the newest revision of the followed branch. Clones live under `stateDir`, one per spec,
 * guarded by a lock so concurrent commands never fetch into the same clone at once.
 */
export async function openFleet(spec: string, options: OpenOptions): Promise<FleetCheckout> {
  const display = redact(spec);
  const local = existsSync(spec) ? resolve(spec) : undefined;
  if (local && options.mode === 'read' && isDirectory(local) && !isBareRepo(local)) {
    const isWorkTree = existsSync(join(local, '.git'));
    if (!isWorkTree) return { dir: local, revision: null, branch: null, inPlace: true, display };
    const git = gitAt(local);
    const revision = (await git.revparse(['HEAD']).catch(() => '')) || null;
    const branch = (await git.revparse(['--abbrev-ref', 'HEAD']).catch(() => '')) || null;
    return { dir: local, revision, branch, inPlace: true, display };
  }
  if (local && options.mode === 'sync' && isDirectory(local) && !isBareRepo(local) && existsSync(join(local, '.git'))) await refuseWorkTree(local, display);
  const url = local ?? spec;
  const dir = cloneDirFor(options.stateDir, url, options.shallow === true);
  await mkdir(options.stateDir, { recursive: true });
  return withCloneLock(dir, async () => {
    const branch = await syncClone(dir, url, options.branch, options.shallow === true, display, options.alsoFetch ?? []);
    const revision = await gitAt(dir).revparse(['HEAD']);
    return { dir, revision, branch, inPlace: false, display };
  });
}

/** The directory tbx keeps its clone of `url` in. */
export function cloneDirFor(stateDir: string, url: string, shallow: boolean): string {
  const id = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return join(stateDir, `fleet-${id}${shallow ? '-shallow' : ''}`);
}

/** Run `fn` while holding the clone's lock (waits up to about a minute for another holder). */
export async function withCloneLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  // git keeps the remote URL, credentials and all, in the clone's config: owner only.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const release = await acquireLock(dir, { lockPath: `${dir}.lock`, waitMs: 120_000, staleMs: 30_000 });
  try {
    await clearGitLocks(dir);
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/**
 * Remove git's own lock files left by a tbx process that was killed mid-command. Safe only
 * under the clone lock: no other tbx process runs git in this clone now.
 */
async function clearGitLocks(dir: string): Promise<void> {
  for (const f of ['index.lock', 'shallow.lock', 'HEAD.lock', 'config.lock', 'packed-refs.lock']) await rm(join(dir, '.git', f), { force: true });
}

/** Clone (first time) or fetch, then hard-reset the work tree to the remote branch. Returns the branch. */
export async function syncClone(dir: string, url: string, wanted: string | undefined, shallow: boolean, display: string, alsoFetch: string[] = []): Promise<string> {
  const depth = shallow ? ['--depth', '1'] : [];
  const fresh = !existsSync(join(dir, '.git'));
  try {
    if (fresh) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await gitAt(dir).clone(url, dir, [...depth, '--no-tags', ...(wanted ? ['--branch', wanted] : [])]);
    }
    const git = gitAt(dir);
    const branch = wanted ?? (await defaultBranch(dir));
    const refs = [...new Set([branch, ...alsoFetch])].map((b) => `+refs/heads/${b}:refs/remotes/origin/${b}`);
    await git.fetch(['--prune', '--no-tags', ...depth, 'origin', ...refs]);
    await git.raw(['checkout', '--force', '-B', branch, `refs/remotes/origin/${branch}`]);
    await git.raw(['reset', '--hard', `refs/remotes/origin/${branch}`]);
    await git.raw(['clean', '-fdx']);
    return branch;
  } catch (err) {
    if (fresh) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw gitFailure(`cannot fetch fleet repo ${display}`, err);
  }
}

/** The branch the clone's remote calls its default (origin/HEAD), else the clone's own HEAD. */
export async function defaultBranch(dir: string): Promise<string> {
  const git = gitAt(dir);
  const head = await git.raw(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']).catch(() => '');
  if (head.trim()) return head.trim().replace(/^origin\//, '');
  const current = await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '');
  if (current.trim()) return current.trim();
  throw new UsageError('cannot tell the fleet repo\'s default branch; pass --branch');
}

/**
 * A command that commits (reconcile forwarding statuses and notes, the agent, doctor's push
 * check) pushes back to the repo it was given, and git refuses pushes into the branch a work
 * tree has checked out: say so before the first pass rather than fail on every pass after it.
 */
async function refuseWorkTree(dir: string, display: string): Promise<never> {
  const origin = (await gitAt(dir).remote(['get-url', 'origin']).catch(() => '')) || '';
  const hint = origin.trim() ? `the repo it was cloned from: --fleet ${redact(origin.trim())}` : 'a bare repo or the URL of the fleet repo';
  throw new UsageError(`${display} is a working checkout; this command keeps its own clone and pushes results back to the repo it names, which git refuses for a checked-out branch. Point it at ${hint}`);
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isBareRepo(p: string): boolean {
  return existsSync(join(p, 'HEAD')) && existsSync(join(p, 'objects')) && existsSync(join(p, 'refs'));
}

