import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { firstLine, GitError } from '../lib/errors.js';
import { redact } from '../lib/redact.js';
import { gitAt } from './git.js';
import { syncClone, withCloneLock } from './source.js';

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
 * writers. On a non-fast-forward rejection it fetches the new tip, rebases the change onto
 * it (by re-applying these file contents, which cannot conflict with other boxes' files),
 * and retries after a jittered, growing delay. Any other failure (remote unreachable,
 * auth) throws a {@link GitError} at once so the caller can spool.
 */
export async function commitFiles(target: PushTarget, changes: FileChange[], message: string, author: Author): Promise<CommitResult> {
  const sleep = target.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (target.deadlineMs ?? 600_000);
  const display = redact(target.url);
  for (let attempt = 1; ; attempt++) {
    const outcome = await withCloneLock(target.dir, async () => {
      const branch = await syncClone(target.dir, target.url, target.branch, target.shallow === true, display);
      const git = gitAt(target.dir);
      for (const c of changes) {
        const full = join(target.dir, c.path);
        if (c.content === null) await rm(full, { force: true });
        else {
          await mkdir(dirname(full), { recursive: true });
          await writeFile(full, c.content);
        }
      }
      await git.raw(['add', '--all', '--', ...changes.map((c) => c.path)]);
      const staged = await git.raw(['diff', '--cached', '--name-only']);
      if (!staged.trim()) return { commit: null as string | null };
      await gitAt(target.dir, { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email }).raw([
        '-c',
        'commit.gpgsign=false',
        'commit',
        '--quiet',
        '--no-verify',
        '-m',
        message,
      ]);
      const commit = (await git.revparse(['HEAD'])).trim();
      try {
        await git.raw(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
        return { commit };
      } catch (err) {
        if (isRaceRejection(err)) return { raced: true as const, err };
        throw new GitError(`cannot push to ${display}: ${redact(firstLine(err))}`, { cause: err });
      }
    });
    if (!('raced' in outcome)) return { commit: outcome.commit, attempts: attempt };
    if (Date.now() > deadline) throw new GitError(`gave up pushing to ${display} after ${attempt} attempts: the branch kept moving`, { cause: outcome.err });
    // Full jitter over a growing window spreads a herd of agents that all finished at once.
    const window = Math.min(100 * 2 ** Math.min(attempt, 6), 5000);
    await sleep(Math.floor(Math.random() * window));
  }
}

/** A push rejected because someone else pushed first (or holds the ref lock) is worth retrying. */
function isRaceRejection(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /non-fast-forward|fetch first|\[rejected\]|failed to update ref|cannot lock ref|incorrect old value|stale info|remote rejected.*(lock|failed)/i.test(msg);
}

