import { Option, type Command } from 'commander';
import { runDoctor, type Check } from '../../setup/doctor.js';
import { EXIT_CODES } from '../exit-codes.js';
import { numberOption } from '../option-values.js';
import { JSON_OUT, OUTPUT, outputFormat, siteOptions, withSiteOptions } from '../options.js';
import { isDataFormat, renderData } from '../views/data.js';
import { colorEnabled, painter } from '../views/color.js';

/** `tbx doctor`: a checklist of a live site; each failed item says how to fix it. Exit 1 if any failed. */
export function register(program: Command): void {
  withSiteOptions(program.command('doctor').description('check a live site: shares, PXELINUX files, maintenance kernel, fleet repo, clock, disk space'))
    .addOption(numberOption(new Option('--min-free <percent>', 'fail below this much free space on a share').default(10), { unit: 'percent', zero: true, max: 100 }))
    .addOption(new Option('--mountinfo <file>').default('/proc/self/mountinfo').hideHelp())
    .addOption(OUTPUT(['text', 'json', 'yaml']))
    .addOption(JSON_OUT())
    .addHelpText(
      'after',
      `
Checks: the shares exist, are mounted, writable, have free space and carry their markers;
pxelinux.0, ldlinux.c32 and pxelinux.cfg/default (local boot) are on the TFTP share; the
maintenance kernel and initrd named in fleet.yaml exist; the fleet repo is reachable,
pushable and valid; this host's clock agrees with the backup share's server.

Examples:
  tbx doctor --fleet ssh://git.lab/fleet.git --tftp /mnt/testbox-tftp --backup /mnt/testbox-backup
  tbx doctor -o json | jq '.[] | select(.status != "ok")'

Exit codes: 0 every check passed (warnings allowed), 1 a check failed.`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const site = siteOptions(opts, ['tftp', 'backup']);
      const checks = await runDoctor({ tftp: site.tftp, backup: site.backup, ...(site.fleet ? { fleet: site.fleet } : {}), ...(site.branch ? { branch: site.branch } : {}), stateDir: site.stateDir, minFreePercent: opts.minFree as number, mountinfo: String(opts.mountinfo) });
      const format = outputFormat(opts);
      process.stdout.write(`${isDataFormat(format) ? renderData(checks, format) : renderChecks(checks)}\n`);
      process.exitCode = checks.some((c) => c.status === 'fail') ? EXIT_CODES.error : EXIT_CODES.ok;
    });
}

function renderChecks(checks: Check[]): string {
  const p = painter(colorEnabled(process.stdout));
  const mark = { ok: p.green('✓'), warn: p.yellow('!'), fail: p.red('✗') };
  const out = checks.flatMap((c) => [`${mark[c.status]} ${c.name}: ${c.detail}`, ...(c.fix && c.status !== 'ok' ? [`    fix: ${c.fix}`] : [])]);
  const n = (s: Check['status']) => checks.filter((c) => c.status === s).length;
  out.push('', `${n('ok')} ok, ${n('warn')} warning(s), ${n('fail')} failed`);
  return out.join('\n');
}
