import { execa } from 'execa';
import { simpleGit, type SimpleGit } from 'simple-git';

/** Interactive helpers tbx never wants git to start (it runs unattended). */
const INTERACTIVE = ['EDITOR', 'VISUAL', 'PAGER', 'GIT_EDITOR', 'GIT_SEQUENCE_EDITOR', 'GIT_PAGER', 'GIT_EXTERNAL_DIFF'];

/**
 * A simple-git instance for `dir` (plus `extraEnv`, e.g. a commit's author) that never
 * prompts, never opens an editor or pager, and ignores the system git config: tbx runs
 * unattended from cron and on maintenance images.
 *
 * The rest of the operator's environment (GIT_SSH_COMMAND for a deploy key, GIT_SSL_CAINFO,
 * GIT_CONFIG_GLOBAL, proxies) is passed through on purpose: it comes from whoever runs tbx,
 * never from the fleet repo, which is what simple-git's environment guard protects against.
 */
export function gitAt(dir: string, extraEnv: Record<string, string> = {}): SimpleGit {
  const env = gitEnv(extraEnv);
  const allowEnvironment = Object.keys(env).filter((k) => k.toUpperCase().startsWith('GIT_'));
  return simpleGit({
    baseDir: dir,
    maxConcurrentProcesses: 2,
    timeout: { block: 120_000 },
    allowEnvironment,
    unsafe: {
      allowUnsafeSshCommand: true,
      allowUnsafeAskPass: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeConfigEnvCount: true,
      allowUnsafeGitProxy: true,
      allowUnsafeExec: true,
      allowUnsafeTemplateDir: true,
    },
  }).env(env);
}

/** The environment tbx runs git with (see {@link gitAt}). */
function gitEnv(extraEnv: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C', ...extraEnv };
  for (const k of Object.keys(env)) if (INTERACTIVE.includes(k.toUpperCase())) delete env[k];
  return env;
}

/**
 * Run a git command whose exit code is the answer (merge-base --is-ancestor, verify-commit).
 * simple-git treats a quiet non-zero exit as success, so these go through execa.
 */
export async function gitSucceeds(dir: string, args: string[]): Promise<boolean> {
  const r = await execa('git', args, { cwd: dir, env: gitEnv(), extendEnv: false, reject: false, stdin: 'ignore' });
  return r.exitCode === 0;
}
