import { Option, type Command } from 'commander';
import { readDesired } from '../../fleet/read-desired.js';
import { matchesSelector, parseSelector } from '../../fleet/selector.js';
import { openFleet } from '../../fleet/source.js';
import { allStores } from '../../imaging/stores.js';
import { UsageError, ValidationError } from '../../lib/errors.js';
import { fleetStatus, type BoxStatusRow } from '../../reconciler/fleet-status.js';
import { numberOption, sinceOption } from '../option-values.js';
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
    .addOption(sinceOption(new Option('--since <when>', 'only boxes with activity since then: 30m, 2h, 7d or a date (2026-11-24)')))
    .option('-w, --watch', 'keep the view open and refresh it (in place on a terminal); Ctrl-C ends')
    .addOption(numberOption(new Option('--interval <seconds>', 'seconds between refreshes with --watch').default(2), { unit: 'seconds' }))
    .addHelpText(
      'after',
      `
PHASE is Pending, Running (with the percentage of the disk being imaged), Succeeded, Failed,
Stalled or Rescue; for action none it is the last result. LAST BACKUP is the time of the
newest image; SIZE the size of the disks it was taken from (what a restore writes); -o wide
adds STORED, the bytes those backups added to the share (a chunked backup of an unchanged disk
adds almost nothing). PXE is active (tbx's config is waiting for the box), foreign (a file
tbx did not write), none, or unknown when no --tftp (TBX_TFTP_ROOT) is given. CONDITIONS are
what the reconciler recorded for the request in notes/<box>.yaml, problems with their reason:
Verified, Unverified(ComebackTimeout), RebootFailed(CommandFailed), Stalled(MaxAttempts),
Failed(Timeout); -o wide shows why in MESSAGE.

Examples:
  tbx status
  tbx status -o wide -l rack=b3
  tbx status --watch                      # live progress while boxes are imaged
  tbx status --since 2h -o json | jq '.[] | select(.phase == "Failed")'
  tbx status tb-linux-01 -o yaml

Exit codes: 0 shown (also when the filters match no box), 1 error (an unknown box name, an
invalid fleet, an unreachable fleet repo or share, a bad option value).`,
    )
    .action(async (names: string[], opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet', 'backup']);
      const format = (opts.json ? 'json' : String(opts.output)) as StatusFormat;
      const selector = typeof opts.selector === 'string' ? parseSelector(opts.selector) : undefined;
      const since = opts.since instanceof Date ? opts.since : undefined;
      const view = async () => {
        const all = await readRows(site);
        const unknown = names.filter((n) => !all.some((r) => r.name === n));
        if (unknown.length) throw new UsageError(`no testbox ${unknown.join(', ')} in the fleet (boxes: ${all.map((r) => r.name).join(', ') || 'none'})`);
        const rows = all.filter((r) => (!names.length || names.includes(r.name)) && (!selector || matchesSelector(selector, r.labels)) && (!since || activeSince(r, since)));
        const table = format === 'table' || format === 'wide';
        if (!rows.length && all.length && table) return `No testboxes match ${describeFilter(names, opts)} (${all.length} in the fleet).`;
        const text = renderStatus(rows, format, { paint: painter(colorEnabled(process.stdout)) });
        return table && rows.length && !site.tftp ? `${text}\n\nPXE unknown: no --tftp given (or TBX_TFTP_ROOT), so the PXE configs were not read.` : text;
      };
      // The first view also checks the box names, so a typo exits 1 even with --watch.
      const first = await view();
      if (!opts.watch) {
        process.stdout.write(`${first}\n`);
        return;
      }
      await watch(view, (opts.interval as number) * 1000);
    });
}

/** The filters of a run, for the "nothing matches" line: `tb-a, -l rack=zz, --since 2026-11-25T10:00:00Z`. */
function describeFilter(names: string[], opts: Record<string, unknown>): string {
  const since = opts.since instanceof Date ? `--since ${opts.since.toISOString().replace(/\.\d+Z$/, 'Z')}` : '';
  return [names.join(' '), opts.selector ? `-l ${String(opts.selector)}` : '', since].filter(Boolean).join(', ');
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
