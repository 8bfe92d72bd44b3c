import { Option, type Command } from 'commander';
import { boxHistory } from '../../fleet/history.js';
import { readDesired } from '../../fleet/read-desired.js';
import { matchesSelector, parseSelector } from '../../fleet/selector.js';
import { openFleet } from '../../fleet/source.js';
import { UsageError, ValidationError } from '../../lib/errors.js';
import { readGlobalLog } from '../../share/global-log.js';
import { readDecisions } from '../../telemetry/events-log.js';
import { buildTimeline, type TimelineEvent } from '../../telemetry/timeline.js';
import { numberOption, sinceOption } from '../option-values.js';
import { JSON_OUT, OUTPUT, outputFormat, siteOptions, withSiteOptions } from '../options.js';
import { colorEnabled, painter } from '../views/color.js';
import { isDataFormat, renderData } from '../views/data.js';
import { table } from '../views/table.js';

/** `tbx events`: one timeline of requests, approvals, reconciler decisions, agent lines and results. */
export function register(program: Command): void {
  withSiteOptions(program.command('events').description('a merged timeline: requests and approvals from git, reconciler decisions and agent results'), { shares: false })
    .addOption(new Option('--backup <dir>', 'backup share root: adds reconciler decisions (tbx-events.jsonl) and agent log lines').env('TBX_BACKUP_ROOT'))
    .argument('[boxes...]', 'only these boxes')
    .option('-l, --selector <selector>', 'only boxes whose labels match')
    .addOption(sinceOption(new Option('--since <when>', 'only events since then: 30m, 2h, 7d or a date')))
    .addOption(numberOption(new Option('--limit <n>', 'only the newest n events').default(200), { whole: true }))
    .addOption(OUTPUT(['table', 'json', 'yaml']))
    .addOption(JSON_OUT().hideHelp())
    .addHelpText(
      'after',
      `
Sources: the fleet repo's history (who asked, who merged, status and note commits), the
reconciler's decision log <backup>/tbx-events.jsonl and the agents' lines in
<backup>/maintenance.log. Without --backup only git is read.

Examples:
  tbx events --since 1d
  tbx events tb-linux-01 -o json
  tbx events -l rack=b3 --limit 50

Exit codes: 0 shown (also when there are no events), 1 error (an unknown box, an invalid fleet, a bad --since or --limit).`,
    )
    .action(async (names: string[], opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet']);
      const since = opts.since instanceof Date ? opts.since : undefined;
      const checkout = await openFleet(site.fleet, { stateDir: site.stateDir, mode: 'read', ...(site.branch ? { branch: site.branch } : {}) });
      const desired = await readDesired(checkout.dir, checkout.revision);
      if (!desired.site) throw new ValidationError(desired.diagnostics);
      const selector = typeof opts.selector === 'string' ? parseSelector(opts.selector) : undefined;
      const unknown = names.filter((n) => !desired.boxes.some((b) => b.name === n));
      if (unknown.length) throw new UsageError(`no testbox ${unknown.join(', ')} in the fleet (boxes: ${desired.boxes.map((b) => b.name).join(', ') || 'none'})`);
      const boxes = desired.boxes.filter((b) => (!names.length || names.includes(b.name)) && (!selector || matchesSelector(selector, b.labels)));
      const wanted = new Set(boxes.map((b) => b.name));
      const histories = new Map(await Promise.all(boxes.map(async (b) => [b.name, await boxHistory(checkout.dir, b.name)] as const)));
      const backup = typeof opts.backup === 'string' && opts.backup ? opts.backup : undefined;
      const events = buildTimeline({
        histories,
        decisions: backup ? await readDecisions(backup) : [],
        agentLog: backup ? await readGlobalLog(backup) : [],
        boxesByIp: new Map(desired.boxes.map((b) => [b.ip, b.name])),
      })
        .filter((e) => (e.box === null ? !names.length && !selector : wanted.has(e.box)))
        .filter((e) => !since || Date.parse(e.time) >= since.getTime())
        .slice(-(opts.limit as number));
      process.stdout.write(`${render(events, outputFormat(opts))}\n`);
    });
}

function render(events: TimelineEvent[], format: string): string {
  if (isDataFormat(format)) return renderData(events, format);
  if (!events.length) return 'No events.';
  const p = painter(colorEnabled(process.stdout));
  const kind = (k: string, m: string) => (/^error|Failed|Stalled|failed:|^blocked:/.test(m) ? p.red(k) : k === 'result' && /Succeeded/.test(m) ? p.green(k) : k);
  return table(
    ['TIME', 'BOX', 'KIND', 'WHO', 'MESSAGE'],
    events.map((e) => [e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.box ?? '-', kind(e.kind, e.message), e.who, e.message]),
  );
}
