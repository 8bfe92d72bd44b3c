import { execa } from 'execa';

/** Who commits in tests (local identity, no signing, no global config). */
export const ADMIN = { name: 'Ada Admin', email: 'ada@lab.test' };
export const REVIEWER = { name: 'Rex Reviewer', email: 'rex@lab.test' };

/** Run git in `cwd` as `who`, isolated from the user's and the system's git config. */
export async function git(cwd: string, args: string[], who = ADMIN): Promise<string> {
  const r = await execa('git', ['-c', 'commit.gpgsign=false', '-c', 'gc.auto=0', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    env: {
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
  });
  return r.stdout;
}
