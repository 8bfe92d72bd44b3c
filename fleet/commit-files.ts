import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GitError, gitFailure } from '../lib/errors.js';
import { redact } from '../lib/redact.js';
import { gitAt } from './git.js';
import { defaultBranch, withCloneLock } from './source.js';

/** One file to set (content) or remove (null), by repo-relative path. */
export interface FileChange {
  path: string;
  content: string | null;
}

/** Who a commit is from. */
export interface Author {
  name: string;
  email: string;
}

/** Where and how to push. */
export interface PushTarget {
  /** tbx's own clone directory (from {@link cloneDirFor}). */
  dir: string;
  /** Remote URL or path. */
  url: string;
  branch?: string;
  shallow?: boolean;
  /** Give up after this long of non-fast-forward rejections (default 10 min). */
  deadlineMs?: number;
  /** Injected for tests; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** Outcome of {@link commitFiles}. */
export interface CommitResult {
  /** The pushed commit, or null when the files already had this content. */
  commit: string | null;
  /** Push attempts made (1 when nobody raced us). */
  attempts: number;
}

/**
 * Commit `changes` with `message` on the remote branch and push, surviving concurrent
 * writers (two hundred agents finishing at once). Each attempt fetches the branch tip,
 * builds the commit on it with git plumbing (a private index, no work tree touched), and
 * pushes it. On a non-fast-forward rejection the change is rebased onto the new tip simply by
 * building it again there: it only sets these files, so it cannot conflict with other boxes'.
 * Retries wait a random time in a window that doubles up to 20 s, which spreads a herd.
 * Any other failure (remote unreachable, auth) throws a {@link GitError} at once so the
 * caller can spool.
 */
export async function commitFiles(target: PushTarget, changes: FileChange[], message: string, author: Author): Promise<CommitResult> {
  const sleep = target.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (target.deadlineMs ?? 600_000);
  const display = redact(target.url);
  for (let attempt = 1; ; attempt++) {
    const outcome = await withCloneLock(target.dir, () => commitOnce(target, changes, message, author, display));
    if (!('raced' in outcome)) return { commit: outcome.commit, attempts: attempt };
    if (Date.now() > deadline) throw new GitError(`gave up pushing to ${display} after ${attempt} attempts: the branch kept moving`, { cause: outcome.err });
    await sleep(Math.floor(Math.random() * Math.min(20_000, 250 * 2 ** Math.min(attempt, 7))));
  }
}

type Once = { commit: string | null } | { raced: true; err: unknown };

async function commitOnce(target: PushTarget, changes: FileChange[], message: string, author: Author, display: string): Promise<Once> {
  const dir = target.dir;
  try {
    if (!existsSync(join(dir, '.git'))) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await gitAt(dir).clone(target.url, dir, ['--no-tags', '--no-checkout', ...(target.shallow ? ['--depth', '1'] : []), ...(target.branch ? ['--branch', target.branch] : [])]);
    }
    const branch = target.branch ?? (await defaultBranch(dir));
    await gitAt(dir).fetch(['--no-tags', ...(target.shallow ? ['--depth', '1'] : []), 'origin', `+refs/heads/${branch}:${PUSH_BASE}`]);
  } catch (err) {
    throw gitFailure(`cannot fetch fleet repo ${display}`, err);
  }
  const branch = target.branch ?? (await defaultBranch(dir));
  const base = (await gitAt(dir).revparse([PUSH_BASE])).trim();
  const index = join(dir, '.git', `tbx-index-${process.pid}`);
  const git = gitAt(dir, { GIT_INDEX_FILE: index, GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email });
  try {
    await git.raw(['read-tree', base]);
    for (const c of changes) {
      if (c.content === null) {
        await git.raw(['update-index', '--force-remove', '--', c.path]);
        continue;
      }
      const blobFile = `${index}.blob`;
      await writeFile(blobFile, c.content);
      const blob = (await git.raw(['hash-object', '-w', '--', blobFile])).trim();
      await git.raw(['update-index', '--add', '--cacheinfo', `100644,${blob},${c.path}`]);
    }
    const tree = (await git.raw(['write-tree'])).trim();
    if (tree === (await git.revparse([`${base}^{tree}`])).trim()) return { commit: null };
    const commit = (await git.raw(['commit-tree', tree, '-p', base, '-m', message])).trim();
    try {
      await git.raw(['push', '--quiet', 'origin', `${commit}:refs/heads/${branch}`]);
      return { commit };
    } catch (err) {
      if (isRaceRejection(err)) return { raced: true, err };
      throw gitFailure(`cannot push to ${display}`, err);
    }
  } finally {
    await rm(index, { force: true });
    await rm(`${index}.blob`, { force: true });
  }
}

/** Private ref holding the tip an attempt builds on (the reader's refs are left alone). */
const PUSH_BASE = 'refs/tbx/push-base';

/** A push rejected because someone else pushed first (or holds the ref lock) is worth retrying. */
function isRaceRejection(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /non-fast-forward|fetch first|\[rejected\]|failed to update ref|cannot lock ref|incorrect old value|stale info|remote rejected.*(lock|failed)/i.test(msg);
}
