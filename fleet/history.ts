import { parse } from 'yaml';
import type { SimpleGit } from 'simple-git';
import type { TestboxStatus } from '../schema/types.js';
import { gitAt } from './git.js';

/** A commit as history shows it. */
export interface CommitRef {
  commit: string;
  author: string;
  email: string;
  date: string;
  subject: string;
}

/** One request of a box, told from git: who asked, who merged, what the agent reported. */
export interface RequestHistory {
  request: string;
  action: string;
  asked: CommitRef;
  /** The merge commit that brought the request into the followed branch, if it came through one. */
  merged: (CommitRef & { pr: string | null }) | null;
  /** Every status commit for this request, oldest first. */
  results: (CommitRef & { status: TestboxStatus; forwarded: boolean })[];
  /** Reconciler notes (Stalled, RebootFailed, Verified, Unverified ...), oldest first, each the condition it added. */
  notes: (CommitRef & { condition: string; reason: string; message: string })[];
}

const FORMAT = '%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e';

/**
 * Reconstruct every request of box `name` from the fleet repo's history at HEAD: the
 * commits that changed `request` in its box file, the merges that brought them in, and the
 * status and note commits that followed.
 */
export async function boxHistory(dir: string, name: string): Promise<RequestHistory[]> {
  const git = gitAt(dir);
  const firstParent = new Set((await git.raw(['rev-list', '--first-parent', 'HEAD'])).split('\n').filter(Boolean));
  const requests: RequestHistory[] = [];
  const byRequest = new Map<string, RequestHistory>();
  let previous: string | undefined;
  for (const c of await commitsTouching(git, `testboxes/${name}.yaml`)) {
    const doc = await fileAt(git, c.commit, `testboxes/${name}.yaml`);
    const request = typeof doc?.request === 'string' ? doc.request : undefined;
    const action = typeof doc?.action === 'string' ? doc.action : 'none';
    if (!request || request === previous || action === 'none') {
      previous = request;
      continue;
    }
    previous = request;
    const entry: RequestHistory = { request, action, asked: c, merged: await mergeOf(git, c.commit, firstParent), results: [], notes: [] };
    requests.push(entry);
    byRequest.set(request, entry);
  }
  for (const c of await commitsTouching(git, `status/${name}.yaml`)) {
    const status = (await fileAt(git, c.commit, `status/${name}.yaml`)) as TestboxStatus | undefined;
    const entry = status && byRequest.get(String(status.request));
    if (entry && status) entry.results.push({ ...c, status, forwarded: /\[forwarded\]/.test(c.subject) });
  }
  for (const c of await commitsTouching(git, `notes/${name}.yaml`)) {
    const note = await fileAt(git, c.commit, `notes/${name}.yaml`);
    const entry = note && byRequest.get(String(note.request));
    const cond = (note?.conditions as { type: string; reason?: string; message: string }[] | undefined)?.at(-1);
    if (entry && cond) entry.notes.push({ ...c, condition: cond.type, reason: cond.reason ?? '', message: cond.message });
  }
  return requests;
}

async function commitsTouching(git: SimpleGit, path: string): Promise<CommitRef[]> {
  const out = await git.raw(['log', '--reverse', `--format=${FORMAT}`, '--', path]).catch(() => '');
  return out
    .split('\x1e')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [commit, author, email, date, subject] = r.split('\x1f');
      return { commit: commit!, author: author!, email: email!, date: date!, subject: subject ?? '' };
    });
}

async function fileAt(git: SimpleGit, commit: string, path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v: unknown = parse(await git.raw(['show', `${commit}:${path}`]));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The oldest merge on the first-parent chain of HEAD that contains `commit`; null if it was pushed directly. */
async function mergeOf(git: SimpleGit, commit: string, firstParent: Set<string>): Promise<(CommitRef & { pr: string | null }) | null> {
  if (firstParent.has(commit)) return null;
  const merges = (await git.raw(['rev-list', '--ancestry-path', '--merges', '--reverse', `${commit}..HEAD`]).catch(() => '')).split('\n').filter(Boolean);
  const merge = merges.find((m) => firstParent.has(m));
  if (!merge) return null;
  const [c] = (await git.raw(['show', '-s', `--format=${FORMAT}`, merge])).split('\x1e').map((r) => r.trim().split('\x1f'));
  const subject = c![4] ?? '';
  const pr = /pull request #(\d+)|merge request !(\d+)|\(#(\d+)\)/i.exec(subject);
  return { commit: c![0]!, author: c![1]!, email: c![2]!, date: c![3]!, subject, pr: pr ? `#${pr[1] ?? pr[2] ?? pr[3]}` : null };
}
