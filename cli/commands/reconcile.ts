import type { Command } from 'commander';
import { Option } from 'commander';
import { allStores } from '../../imaging/stores.js';
import { ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { runPass, type PassResult } from '../../reconciler/pass.js';
import { watchLoop, watchPaths } from '../../reconciler/watch.js';
import { siteOptions, trustOptions, withSiteOptions, withTrustOptions } from '../options.js';
import { formatDiagnostics } from '../views/diagnostics.js';

/** `tbx reconcile`: apply the plan once (cron, systemd timer) or keep doing it (--watch). */
export function register(program: Command, logger: () => Logger): void {
  withTrustOptions(withSiteOptions(program.command('reconcile').description('bring the TFTP and backup shares to the state the fleet repo asks for')))
    .option('--watch', 'keep running: a pass every --interval seconds and soon after a change')
    .addOption(new Option('--interval <seconds>', 'seconds between passes with --watch').default('60').argParser(positiveInt))
    .addOption(new Option('--lock-wait <seconds>', 'how long to wait for a running pass before exiting cleanly').default('30').argParser(positiveInt))
    .addHelpText('after', '\nExamples:\n  tbx reconcile --fleet ssh://git.lab/fleet.git --tftp /srv/testbox-tftp --backup /srv/testbox-backup\n  tbx reconcile --watch --interval 30\n\nExit codes: 0 ok (or another pass was running), 1 error: invalid fleet (nothing changed) or a failed change.')
    .action(async (opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet', 'tftp', 'backup']);
      const log = logger();
      const once = () =>
        runPass({ fleet: site.fleet, tftpRoot: site.tftp, backupRoot: site.backup, stateDir: site.stateDir, ...(site.branch ? { branch: site.branch } : {}), stores: allStores(), log, lockWaitMs: Number(opts.lockWait) * 1000, trust: trustOptions(opts) });
      if (!opts.watch) {
        const result = await once();
        if (result.outcome === 'invalid') throw new ValidationError(result.diagnostics);
        process.exitCode = exitCodeOf(result);
        return;
      }
      const abort = new AbortController();
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort());
      await watchLoop(
        async () => {
          const r = await once().catch((err) => log.error({ err: String(err) }, 'pass failed; retrying at the next interval'));
          if (r && r.outcome === 'invalid') process.stderr.write(`${formatDiagnostics(r.diagnostics)}\n`);
          // Poll comeback checks more often than the interval while a box is on its way back.
          return r && r.plan?.awaitingComeback.length ? COMEBACK_POLL_MS : undefined;
        },
        { intervalMs: Number(opts.interval) * 1000, paths: watchPaths(site.fleet, site.tftp, site.backup), log, signal: abort.signal },
      );
    });
}

/** How often --watch re-checks boxes that are on their way back after Succeeded. */
const COMEBACK_POLL_MS = 15_000;

function exitCodeOf(r: PassResult): number {
  return r.apply?.failed.length ? 1 : 0;
}

function positiveInt(v: string): string {
  if (!/^\d+$/.test(v) || Number(v) < 0) throw new Error(`expected a whole number of seconds, got ${JSON.stringify(v)}`);
  return v;
}
