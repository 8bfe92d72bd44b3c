import type { Command } from 'commander';
import { Option } from 'commander';
import { allStores } from '../../imaging/stores.js';
import { ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { runPass, type PassResult } from '../../reconciler/pass.js';
import { watchLoop, watchPaths } from '../../reconciler/watch.js';
import { afterPass, type AfterPassOptions } from '../../telemetry/after-pass.js';
import { serveMetrics } from '../../telemetry/metrics-server.js';
import { numberOption } from '../option-values.js';
import { siteOptions, trustOptions, withSiteOptions, withTrustOptions, type SiteOptions } from '../options.js';
import { formatDiagnostics } from '../views/diagnostics.js';

/** `tbx reconcile`: apply the plan once (cron, systemd timer) or keep doing it (--watch). */
export function register(program: Command, logger: () => Logger): void {
  withTrustOptions(withSiteOptions(program.command('reconcile').description('bring the TFTP and backup shares to the state the fleet repo asks for')))
    .option('--watch', 'keep running: a pass every --interval seconds and soon after a change')
    .addOption(numberOption(new Option('--interval <seconds>', 'seconds between passes with --watch').default(60), { unit: 'seconds', whole: true }))
    .addOption(numberOption(new Option('--lock-wait <seconds>', 'how long to wait for a running pass before exiting cleanly').default(30), { unit: 'seconds', whole: true, zero: true }))
    .addOption(new Option('--metrics-file <path>', "write Prometheus metrics here after each pass (node_exporter's textfile collector)").env('TBX_METRICS_FILE'))
    .addOption(new Option('--metrics-listen <host:port>', 'with --watch: serve GET /metrics here (default host 127.0.0.1)').env('TBX_METRICS_LISTEN'))
    .addOption(new Option('--webhook-url <url>', 'POST a JSON notification when a request Succeeds, Fails or Stalls, or is Verified or Unverified').env('TBX_WEBHOOK_URL'))
    .addOption(new Option('--webhook-secret <secret>', 'sign notifications: X-Tbx-Signature: sha256=<HMAC of the body>').env('TBX_WEBHOOK_SECRET'))
    .addOption(numberOption(new Option('--webhook-retries <n>', 'attempts per notification before it waits for the next pass').default(3), { whole: true }))
    .addHelpText(
      'after',
      `
After each pass tbx appends its decisions to <backup>/tbx-events.jsonl (read by tbx events):
the changes it applied, skipped or failed, boxes newly held back (blocked, queued, outside a
maintenance window, suspended), each once until it changes; an invalid pass writes nothing
there (nor anywhere on the shares), its errors go to stderr. It updates the metrics and sends
notifications for requests that newly Succeeded, Failed or Stalled, or whose comeback check
found the box Verified or Unverified (the first pass only records a baseline). With power
settings in fleet.yaml a pass also reboots the boxes it wrote a config for and checks that
they came back. See docs/tbx-reconcile.1.md for the metrics, the webhook payload and the
power settings.

Examples:
  tbx reconcile --fleet ssh://git.lab/fleet.git --tftp /srv/testbox-tftp --backup /srv/testbox-backup
  tbx reconcile --watch --interval 30 --metrics-listen :9473
  tbx reconcile --metrics-file /var/lib/prometheus/node-exporter/tbx.prom --webhook-url https://chat.lab/hooks/tbx

Exit codes: 0 ok (or another pass was running), 1 error: invalid fleet (nothing changed) or a failed change.`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet', 'tftp', 'backup']);
      const log = logger();
      const observer = observerOptions(site, opts, log);
      let metrics = '';
      const once = async () => {
        const result = await runPass({ fleet: site.fleet, tftpRoot: site.tftp, backupRoot: site.backup, stateDir: site.stateDir, ...(site.branch ? { branch: site.branch } : {}), stores: allStores(), log, lockWaitMs: (opts.lockWait as number) * 1000, trust: trustOptions(opts) });
        metrics = (await afterPass(result, observer)).metrics || metrics;
        return result;
      };
      if (!opts.watch) {
        const result = await once();
        if (result.outcome === 'invalid') throw new ValidationError(result.diagnostics);
        process.exitCode = exitCodeOf(result);
        return;
      }
      const server = typeof opts.metricsListen === 'string' && opts.metricsListen ? await serveMetrics(opts.metricsListen, () => metrics) : undefined;
      if (server) log.info({ port: server.port }, 'serving /metrics');
      const abort = new AbortController();
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort());
      try {
        await watchLoop(
          async () => {
            const r = await once().catch((err) => log.error({ err: String(err) }, 'pass failed; retrying at the next interval'));
            if (r && r.outcome === 'invalid') process.stderr.write(`${formatDiagnostics(r.diagnostics)}\n`);
            // Poll comeback checks more often than the interval while a box is on its way back.
            return r && r.plan?.awaitingComeback.length ? COMEBACK_POLL_MS : undefined;
          },
          { intervalMs: (opts.interval as number) * 1000, paths: watchPaths(site.fleet, site.tftp, site.backup), log, signal: abort.signal },
        );
      } finally {
        await server?.close();
      }
    });
}

function observerOptions(site: SiteOptions, opts: Record<string, unknown>, log: Logger): AfterPassOptions {
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const url = str(opts.webhookUrl);
  const secret = str(opts.webhookSecret);
  const metricsFile = str(opts.metricsFile);
  return {
    stateDir: site.stateDir,
    backupRoot: site.backup,
    log,
    ...(metricsFile ? { metricsFile } : {}),
    ...(url ? { webhook: { url, attempts: opts.webhookRetries as number, ...(secret ? { secret } : {}) } } : {}),
  };
}

/** How often --watch re-checks boxes that are on their way back after Succeeded. */
const COMEBACK_POLL_MS = 15_000;

function exitCodeOf(r: PassResult): number {
  return r.apply?.failed.length || r.degraded ? 1 : 0;
}
