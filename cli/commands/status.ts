import { Option, type Command } from 'commander';
import { readDesired } from '../../fleet/read-desired.js';
import { matchesSelector, parseSelector } from '../../fleet/selector.js';
import { openFleet } from '../../fleet/source.js';
import { allStores } from '../../imaging/stores.js';
import { UsageError, ValidationError } from '../../lib/errors.js';
import { parseSince } from '../../lib/since.js';
import { fleetStatus, type BoxStatusRow } from '../../reconciler/fleet-status.js';
import { siteOptions, withSiteOptions, type SiteOptions } from '../options.js';
import { colorEnabled, painter } from '../views/color.js';
import { renderStatus, type StatusFormat } from '../views/status-view.js';

/** `tbx status`: one row per box with its request, phase, live progress, last backup and PXE config. */
export function register(program: Command): void {
  withSiteOptions(program.command('status').description('show every box: action and request, phase and progress, last backup, active PXE config'))
    .argument('[boxes...]', 'only these boxes')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'wide', 'json', 'yaml']).default('table'))
    .addOption(new Option('--json', 'same as -o json').hideHelp())
    .option('-l, --selector <selector>', 'only boxes whose labels match, e.g. rack=b3')
    .option('--since <when>', 'only boxes with activity since then: 30m, 2h, 7d or a date (2026-11-24)')
    .option('-w, --watch', 'keep the view open and refresh it (in place on a terminal); Ctrl-C ends')
    .addOption(new Option('--interval <seconds>', 'seconds between refreshes with --watch').default('2'))
    .addHelpText(
      'after',
      `
PHASE is Pending, Running (with the percentage of the disk being imaged), Succeeded, Failed,
Stalled or Rescue; for action none it is the last result. PXE is active (tbx's config is
waiting for the box), foreign (a file tbx did not write) or none. CONDITIONS are what the
reconciler recorded for the request in notes/<box>.yaml, problems with their reason:
Verified, Unverified(ComebackTimeout), RebootFailed(CommandFailed), Stalled(MaxAttempts),
Failed(Timeout); -o wide shows why in MESSAGE.

Examples:
  tbx status
  tbx status -o wide -l rack=b3
  tbx status --watch                      # live progress while boxes are imaged
  tbx status --since 2h -o json | jq '.[] | select(.phase == "Failed")'
  tbx status tb-linux-01 -o yaml`,
    )
    .action(async (names: string[], opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet', 'backup']);
      const format = (opts.json ? 'json' : String(opts.output)) as StatusFormat;
      const selector = typeof opts.selector === 'string' ? parseSelector(opts.selector) : undefined;
      let since: Date | undefined;
      try {
        since = typeof opts.since === 'string' ? parseSince(opts.since) : undefined;
      } catch (err) {
        throw new UsageError(`--since: ${(err as Error).message}`);
      }
      const view = async () => {
        const rows = (await readRows(site)).filter((r) => (!names.length || names.includes(r.name)) && (!selector || matchesSelector(selector, r.labels)) && (!since || activeSince(r, since)));
        return renderStatus(rows, format, { paint: painter(colorEnabled(process.stdout)) });
      };
      if (!opts.watch) {
        process.stdout.write(`${await view()}\n`);
        return;
      }
      await watch(view, Number(opts.interval) * 1000);
    });
}

async function readRows(site: SiteOptions): Promise<BoxStatusRow[]> {
  const checkout = await openFleet(site.fleet, { stateDir: site.stateDir, mode: 'read', ...(site.branch ? { branch: site.branch } : {}) });
  const desired = await readDesired(checkout.dir, checkout.revision);
  if (!desired.site) throw new ValidationError(desired.diagnostics);
  return fleetStatus(desired, { backupRoot: site.backup, stores: allStores(), ...(site.tftp ? { tftpRoot: site.tftp } : {}) });
}

/** A box was active since `t`: its current request started or finished after it, or it is imaging now. */
function activeSince(r: BoxStatusRow, t: Date): boolean {
  const times = [r.startedAt, r.finishedAt, r.progress?.updatedAt].filter((x): x is string => !!x).map((x) => Date.parse(x));
  return times.some((x) => x >= t.getTime());
}

/**
 * Redraw until Ctrl-C: on a terminal the screen is cleared and redrawn in place (like
 * `watch`); otherwise a new block is printed only when the view changed.
 */
async function watch(view: () => Promise<string>, intervalMs: number): Promise<void> {
  const tty = process.stdout.isTTY === true;
  let stop = false;
  let wake: () => void = () => undefined;
  const onSignal = () => {
    stop = true;
    wake();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let previous = '';
  try {
    while (!stop) {
      const text = await view().catch((err: unknown) => `error: ${(err as Error).message}`);
      const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      if (tty) process.stdout.write(`\u001b[H\u001b[2J\u001b[3JEvery ${intervalMs / 1000}s: tbx status    ${stamp}\n\n${text}\n`);
      else if (text !== previous) process.stdout.write(`${previous ? '\n' : ''}# ${stamp}\n${text}\n`);
      previous = text;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
