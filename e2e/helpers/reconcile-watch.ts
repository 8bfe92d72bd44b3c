import { readFile } from 'node:fs/promises';
import { spawnTbx } from '../../test/helpers/cli.js';

/** A running `tbx reconcile --watch`, the way a site runs the reconciler as a service. */
export interface ReconcileWatch {
  /** Stop it (SIGTERM: it finishes its pass; SIGKILL after 15 s) and wait (idempotent). */
  stop(): Promise<void>;
  /** The end of its log, for failure messages. */
  tail(lines?: number): Promise<string>;
}

/**
 * Start `tbx reconcile --watch` with `args` (the site's --fleet/--tftp/... options), a pass
 * every `intervalSeconds` and soon after the fleet repo or the shares change, logging at
 * info level to `logFile`. Nothing else drives the passes, so a scenario that waits on it
 * has no manual step.
 */
export function startReconcileWatch(args: string[], logFile: string, intervalSeconds = 5): ReconcileWatch {
  const child = spawnTbx(['reconcile', '--watch', '--interval', String(intervalSeconds), ...args], { TBX_LOG_LEVEL: 'info' }, { stdout: logFile, stderr: logFile });
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await child;
        clearTimeout(timer);
      })();
      return stopped;
    },
    async tail(lines = 15) {
      return (await readFile(logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-lines).join('\n');
    },
  };
}
