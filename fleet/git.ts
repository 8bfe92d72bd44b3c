import { simpleGit, type SimpleGit } from 'simple-git';

/**
 * A simple-git instance for `dir` (plus `extraEnv`, e.g. a commit's author) that never prompts for credentials and ignores the
 * system git config: tbx runs unattended from cron and on maintenance images.
 *
 * The admin's own GIT_* environment (GIT_SSH_COMMAND for a deploy key, GIT_SSL_CAINFO, ...)
 * is passed through: it comes from whoever runs tbx, never from the fleet repo, which is
 * what simple-git's environment guard protects against.
 */
export function gitAt(dir: string, extraEnv: Record<string, string> = {}): SimpleGit {
  const env: Record<string, string | undefined> = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C', ...extraEnv };
  // Interactive-only programs: tbx never opens an editor or pager, and simple-git refuses to
  // run at all with them in the environment (npm run, and many admins' shells, set EDITOR).
  for (const k of ['GIT_PAGER', 'PAGER', 'EDITOR', 'VISUAL', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR']) delete env[k];
  const allowEnvironment = Object.keys(env).filter((k) => k.toUpperCase().startsWith('GIT_'));
  return simpleGit({
    baseDir: dir,
    maxConcurrentProcesses: 2,
    timeout: { block: 120_000 },
    allowEnvironment,
    unsafe: { allowUnsafeSshCommand: true, allowUnsafeAskPass: true },
  }).env(env);
}
