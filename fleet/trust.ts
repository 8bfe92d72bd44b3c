import type { Diagnostic } from '../lib/errors.js';
import { gitAt, gitSucceeds } from './git.js';

/** Who may change what, and how the reconciler checks it (all optional but the agent rule). */
export interface TrustPolicy {
  /** Act only on revisions reachable from this branch of the remote (e.g. main). */
  protectedBranch?: string;
  /** Desired-state changes must come from commits signed by a key in this SSH allowed-signers file. */
  allowedSigners?: string;
  /** Older history than this commit is trusted without signatures (adopting signing later). */
  signedSince?: string;
}

const DESIRED = ['fleet.yaml', 'testboxes'];
const AGENT = /^tbx agent \(([a-z0-9][-a-z0-9]*)\)$/;

/** For every tracked fleet file, the first-parent commit that last changed it, from one walk of the history. */
async function lastChanges(dir: string): Promise<Map<string, { sha: string; author: string }>> {
  const log = await gitAt(dir).raw(['log', '--first-parent', '--diff-merges=first-parent', '--name-only', '--format=%x1e%H%x1f%an', '--', 'fleet.yaml', 'testboxes', 'status', 'notes']);
  const last = new Map<string, { sha: string; author: string }>();
  for (const entry of log.split('\x1e').filter((e) => e.trim())) {
    const [head, ...names] = entry.split('\n');
    const [sha, author] = head!.split('\x1f');
    for (const name of names.map((n) => n.trim()).filter(Boolean)) if (!last.has(name)) last.set(name, { sha: sha!, author: author ?? '' });
  }
  return last;
}

/**
 * Check the checkout's history against the trust rules, as diagnostics (any error makes the
 * revision unusable, like a schema error):
 * - an agent may only change its own `status/<name>.yaml`: the last change to (or deletion
 *   of) every other file must not come from an agent commit (a box must not request a
 *   restore of another, nor end another box's Stalled or Timeout note). Agents are known by
 *   their commit author, which a box controls: against a box that forges a human author,
 *   only `allowedSigners` protects the desired state;
 * - with `protectedBranch`, HEAD must be reachable from `origin/<branch>`;
 * - with `allowedSigners`, every first-parent commit that changed fleet.yaml or testboxes/
 *   must carry a good signature from an allowed key (a merge commit vouches for its PR).
 */
export async function checkTrust(dir: string, policy: TrustPolicy): Promise<Diagnostic[]> {
  const git = gitAt(dir);
  const out: Diagnostic[] = [];
  const diag = (file: string, message: string, rule: string) => out.push({ file, line: 1, col: 1, message, rule, severity: 'error' });
  const present = new Set((await git.raw(['ls-files', 'fleet.yaml', 'testboxes', 'status', 'notes'])).split('\n').filter(Boolean));
  for (const [file, { sha, author }] of await lastChanges(dir)) {
    const agent = AGENT.exec(author)?.[1];
    if (!agent || file === `status/${agent}.yaml`) continue;
    // A deletion is a change too: dropping notes/<box>.yaml would restart a Stalled request.
    const how = present.has(file) ? 'last changed' : 'deleted';
    diag(file, `${how} by commit ${sha.slice(0, 12)} from the agent of ${agent}, which may only change status/${agent}.yaml; refusing this revision (revert that commit)`, 'agent-scope');
  }
  if (policy.protectedBranch) {
    const onBranch = await gitSucceeds(dir, ['merge-base', '--is-ancestor', 'HEAD', `refs/remotes/origin/${policy.protectedBranch}`]);
    if (!onBranch) diag('.', `revision ${(await git.revparse(['HEAD'])).slice(0, 12)} is not on the protected branch ${policy.protectedBranch}; refusing to act on it`, 'protected-branch');
  }
  if (policy.allowedSigners) {
    const range = policy.signedSince ? [`${policy.signedSince}..HEAD`] : ['HEAD'];
    const commits = (await git.raw(['log', '--first-parent', '--format=%H', ...range, '--', ...DESIRED])).split('\n').filter(Boolean);
    for (const sha of commits) {
      const ok = await gitSucceeds(dir, ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${policy.allowedSigners}`, 'verify-commit', sha]);
      if (!ok) {
        const changed = (await git.raw(['diff', '--name-only', `${sha}^1`, sha, '--', ...DESIRED]).catch(() => '')).split('\n').filter(Boolean);
        diag(changed[0] ?? 'fleet.yaml', `commit ${sha.slice(0, 12)} changed ${changed.join(', ') || 'desired state'} without a signature from an allowed key (${policy.allowedSigners}); refusing this revision`, 'unsigned');
      }
    }
  }
  return out;
}
