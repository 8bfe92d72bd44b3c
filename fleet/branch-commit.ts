import { rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { firstLine, GitError, UsageError } from '../lib/errors.js';

/** What {@link commitToBranch} records. */
export interface BranchCommit {
  /** Checkout (work tree) whose repository gets the branch. */
  dir: string;
  /** Commit the branch starts from (any rev, e.g. HEAD or origin/main). */
  base: string;
  /** New branch name; must not exist yet. */
  branch: string;
  /** Repo-relative path -> new content. */
  files: Record<string, string>;
  message: string;
}

/**
 * Create `branch` at a new commit on top of `base` that sets `files`, without touching the
 * work tree, the index or the current branch: the admin's checkout stays exactly as it was,
 * uncommitted edits included. Uses git's plumbing with a private index file. The commit is
 * authored by the checkout's own git identity. Returns the new commit id.
 */
export async function commitToBranch(c: BranchCommit): Promise<string> {
  const git = async (args: string[], options: { input?: string; env?: Record<string, string> } = {}) => {
    try {
      const r = await execa('git', args, { cwd: c.dir, env: { GIT_TERMINAL_PROMPT: '0', ...options.env }, ...(options.input !== undefined ? { input: options.input } : {}), stripFinalNewline: true });
      return r.stdout;
    } catch (err) {
      const msg = (err as { stderr?: string }).stderr || String(err);
      if (/tell me who you are|empty ident/i.test(msg)) throw new UsageError(`git has no identity in ${c.dir}: set user.name and user.email (git config user.email you@lab.example)`, { cause: err });
      throw new GitError(`git ${args[0]} failed in ${c.dir}: ${firstLine(msg)}`, { cause: err, next: 'stalled' });
    }
  };
  if (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${c.branch}`]).catch(() => '')) throw new UsageError(`branch ${c.branch} already exists`);
  const base = await git(['rev-parse', '--verify', `${c.base}^{commit}`]);
  const gitPath = await git(['rev-parse', '--git-path', `tbx-request-index-${process.pid}`]);
  const index = isAbsolute(gitPath) ? gitPath : join(c.dir, gitPath);
  const env = { GIT_INDEX_FILE: index };
  try {
    await git(['read-tree', base], { env });
    for (const [path, content] of Object.entries(c.files)) {
      const blob = await git(['hash-object', '-w', '--stdin'], { input: content });
      await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
    }
    const tree = await git(['write-tree'], { env });
    const commit = await git(['commit-tree', tree, '-p', base, '-F', '-'], { input: c.message });
    await git(['update-ref', `refs/heads/${c.branch}`, commit, '']);
    return commit;
  } finally {
    await rm(index, { force: true });
  }
}

/** Read `path` as it is in commit `rev` of the checkout, or undefined if it does not exist there. */
export async function readAtRev(dir: string, rev: string, path: string): Promise<string | undefined> {
  const r = await execa('git', ['show', `${rev}:${path}`], { cwd: dir, reject: false, stripFinalNewline: false });
  return r.exitCode === 0 ? r.stdout : undefined;
}
