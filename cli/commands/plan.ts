import type { Command } from 'commander';
import { allStores } from '../../imaging/stores.js';
import { ValidationError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { allChanges } from '../../reconciler/plan-types.js';
import { runPass } from '../../reconciler/pass.js';
import { JSON_OUT, siteOptions, trustOptions, withSiteOptions, withTrustOptions } from '../options.js';
import { renderPlanJson, renderPlanText } from '../views/plan-view.js';

/** `tbx plan`: what a pass would do; changes nothing. Exit 0 no changes, 2 changes pending, 1 error. */
export function register(program: Command, logger: () => Logger): void {
  withTrustOptions(withSiteOptions(program.command('plan').description('show what a reconcile pass would do, without changing anything')))
    .addOption(JSON_OUT())
    .addHelpText('after', '\nExamples:\n  tbx plan --fleet git@git.lab:fleet.git --tftp /srv/tftp --backup /srv/backup\n  tbx plan --fleet . --json   # in a PR check, on the checked-out merge commit\n\nExit codes: 0 no changes, 2 changes pending, 1 error (e.g. invalid fleet).')
    .action(async (opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['fleet', 'tftp', 'backup']);
      const result = await runPass({ fleet: site.fleet, tftpRoot: site.tftp, backupRoot: site.backup, stateDir: site.stateDir, ...(site.branch ? { branch: site.branch } : {}), stores: allStores(), log: logger(), dryRun: true, trust: trustOptions(opts) });
      if (result.outcome === 'invalid') throw new ValidationError(result.diagnostics);
      const plan = result.plan!;
      process.stdout.write(`${opts.json ? renderPlanJson(plan) : renderPlanText(plan, site.fleet)}\n`);
      process.exitCode = allChanges(plan).length ? 2 : 0;
    });
}
