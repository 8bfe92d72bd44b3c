import type { Command } from 'commander';
import { Option } from 'commander';
import type { ImageStore } from '../../imaging/store.js';
import { allStores } from '../../imaging/stores.js';
import { ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { allChanges } from '../../reconciler/plan-types.js';
import { runPass } from '../../reconciler/pass.js';
import { reportedDiskSizes } from '../../share/info-file.js';
import { boxDir } from '../../share/layout.js';
import { EXIT_CODES } from '../exit-codes.js';
import { numberOption } from '../option-values.js';
import { siteOptions, trustOptions, withSiteOptions, withTrustOptions } from '../options.js';
import { renderPlanMarkdown, type ReviewFacts } from '../views/plan-markdown.js';
import { renderData } from '../views/data.js';
import { renderPlanJson, renderPlanText } from '../views/plan-view.js';

/** `tbx plan`: what a pass would do; changes nothing. Exit 0 no changes, 2 changes pending, 1 error. */
export function register(program: Command, logger: () => Logger): void {
  withTrustOptions(withSiteOptions(program.command('plan').description('show what a reconcile pass would do, without changing anything')))
    .addOption(new Option('-o, --output <format>', 'output format; markdown is for a pull request comment').choices(['text', 'json', 'yaml', 'markdown']))
    .addOption(new Option('--format <format>', 'same as -o (the older flag)').choices(['text', 'json', 'yaml', 'markdown']).default('text'))
    .addOption(new Option('--json', 'same as -o json').hideHelp())
    .addOption(numberOption(new Option('--max-image-age <days>', 'markdown: warn when a restore uses an older image').default(30), { unit: 'days' }))
    .addHelpText(
      'after',
      `
Examples:
  tbx plan --fleet git@git.lab:fleet.git --tftp /srv/tftp --backup /srv/backup
  tbx plan --fleet . --format markdown > plan.md   # in a PR check, on the checked-out merge commit
  tbx plan --fleet . -o json | jq '.boxes[] | select(.outcome == "blocked")'

A plan changes nothing and runs no command from fleet.yaml: reboots are listed as
"! reboot <box>: <command>", due comeback checks as "would run the comeback check: ...".

Exit codes: 0 no changes, 2 changes pending, 1 error (e.g. invalid fleet).`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet', 'tftp', 'backup']);
      const format = opts.json ? 'json' : String(opts.output ?? opts.format);
      const stores = allStores();
      const result = await runPass({ fleet: site.fleet, tftpRoot: site.tftp, backupRoot: site.backup, stateDir: site.stateDir, ...(site.branch ? { branch: site.branch } : {}), stores, log: logger(), dryRun: true, trust: trustOptions(opts) });
      if (result.outcome === 'invalid') throw new ValidationError(result.diagnostics);
      const plan = result.plan!;
      let text: string;
      if (format === 'json') text = renderPlanJson(plan);
      else if (format === 'yaml') text = renderData(JSON.parse(renderPlanJson(plan)), 'yaml');
      else if (format === 'markdown') text = renderPlanMarkdown(plan, site.fleet, await reviewFacts(result.desired!, site.backup, stores, opts.maxImageAge as number));
      else text = renderPlanText(plan, site.fleet);
      process.stdout.write(`${text}\n`);
      // A plan made without the backup share is incomplete: an error, not "changes pending".
      if (result.degraded) process.stderr.write(`tbx: ${result.degraded}; this plan shows only removals\n`);
      process.exitCode = result.degraded ? EXIT_CODES.error : allChanges(plan).length ? EXIT_CODES.changes : EXIT_CODES.ok;
    });
}

async function reviewFacts(desired: ReviewFacts['desired'], backupRoot: string, stores: ImageStore[], maxImageAgeDays: number): Promise<ReviewFacts> {
  const images: ReviewFacts['images'] = new Map();
  const diskSizes: ReviewFacts['diskSizes'] = new Map();
  for (const b of desired.boxes) {
    // Every generation: a restore may name an older one of another box (source: tb-a@1).
    const dir = boxDir(backupRoot, b.ip);
    images.set(b.name, (await Promise.all(stores.map((s) => (s.generations ? s.generations(dir) : s.list(dir))))).flat());
    diskSizes.set(b.name, await reportedDiskSizes(backupRoot, b.ip));
  }
  return { desired, images, diskSizes, now: new Date(), maxImageAgeDays };
}
