import { execa, type Result, type ResultPromise } from 'execa';
import { tbxBin } from '../../lib/package-root.js';

/** How long one `tbx` run may take before it is killed (SIGTERM, SIGKILL 5 s later); a hung pass must not hang the suite. */
export const TBX_TIMEOUT_MS = 120_000;

/** Options for {@link runTbx}. */
export interface RunTbxOptions {
  /** Kill the child after this long (default {@link TBX_TIMEOUT_MS}); the result then has `timedOut` set. */
  timeoutMs?: number;
  /** Working directory of the child (default: this process's). */
  cwd?: string;
}

/** The environment tests run tbx in: no site settings leak in from the developer's shell. */
function tbxEnv(env: Record<string, string>): Record<string, string> {
  return { TBX_LOG_LEVEL: 'warn', TBX_LOG_FORMAT: 'json', TBX_FLEET: '', TBX_TFTP_ROOT: '', TBX_BACKUP_ROOT: '', TBX_CONFIG: '', ...env };
}

/**
 * Run the real `tbx` CLI as a child process; never throws on a non-zero exit. A run that
 * outlasts its timeout is terminated (SIGTERM, so tbx's own children are cleaned up, then
 * SIGKILL) and comes back with `timedOut` and `failed` set; its exit code can still be 0
 * (`reconcile --watch` exits cleanly on SIGTERM), so callers check `timedOut`.
 */
export async function runTbx(args: string[], env: Record<string, string> = {}, options: RunTbxOptions = {}): Promise<Result<{ reject: false; all: true }>> {
  return execa(process.execPath, [tbxBin(), ...args], {
    reject: false,
    all: true,
    timeout: options.timeoutMs ?? TBX_TIMEOUT_MS,
    forceKillAfterDelay: 5000,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: tbxEnv(env),
  });
}

/**
 * Start a long-running `tbx` (e.g. `reconcile --watch`) with its stdout and stderr appended
 * to files; the caller stops it. It dies with this process (execa's cleanup).
 */
export function spawnTbx(args: string[], env: Record<string, string>, output: { stdout: string; stderr: string }): ResultPromise {
  return execa(process.execPath, [tbxBin(), ...args], {
    reject: false,
    stdin: 'ignore',
    stdout: { file: output.stdout, append: true },
    stderr: { file: output.stderr, append: true },
    cleanup: true,
    env: tbxEnv(env),
  });
}
