import { Option, type Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { initFleet } from '../../setup/init-fleet.js';
import { initSite, type InitStep } from '../../setup/init-site.js';
import { EXIT_CODES } from '../exit-codes.js';
import { BACKUP, TFTP } from '../options.js';
import { colorEnabled, painter } from '../views/color.js';
import { table } from '../views/table.js';

/** `tbx init site` and `tbx init fleet`: set up a storage server's shares and a new fleet repo. */
export function register(program: Command): void {
  const init = program
    .command('init')
    .description('set up a site: the storage server\'s shares (site) or a new fleet repo (fleet)')
    .addHelpText('after', '\nExamples:\n  tbx init site --tftp /export/testbox-tftp --backup /export/testbox-backup\n  tbx init fleet ~/fleet --nfs-server 10.42.1.1');
  init
    .command('site')
    .description("prepare the TFTP and backup shares: PXELINUX and its modules, pxelinux.cfg/default, the backup marker")
    .addOption(TFTP())
    .addOption(BACKUP())
    .addOption(new Option('--pxelinux-dir <dir>', "where pxelinux.0 is (Debian's pxelinux package)").default('/usr/lib/PXELINUX'))
    .addOption(new Option('--modules-dir <dir>', "where the bios/, efi32/, efi64/ modules are (Debian's syslinux-common)").default('/usr/lib/syslinux/modules'))
    .option('--dry-run', 'show what would change, change nothing')
    .addHelpText(
      'after',
      `
Idempotent: run it again after a Debian update of pxelinux or syslinux-common and it copies only
what changed. pxelinux.cfg/default is written only when missing or when tbx wrote it; a foreign
one is kept when it boots the local disk and refused (exit 1) otherwise.

Examples:
  apt-get install pxelinux syslinux-common
  tbx init site --tftp /export/testbox-tftp --backup /export/testbox-backup
  tbx init site --tftp /mnt/testbox-tftp --backup /mnt/testbox-backup --dry-run`,
    )
    .action(async (opts: Record<string, unknown>) => {
      if (!opts.tftp || !opts.backup) throw new UsageError('missing --tftp or --backup (or TBX_TFTP_ROOT / TBX_BACKUP_ROOT)');
      const steps = await initSite({ tftp: String(opts.tftp), backup: String(opts.backup), pxelinuxDir: String(opts.pxelinuxDir), modulesDir: String(opts.modulesDir), dryRun: opts.dryRun === true });
      process.stdout.write(`${renderSteps(steps, String(opts.tftp), String(opts.backup), opts.dryRun === true)}\n`);
      if (steps.some((s) => s.result === 'refused')) process.exitCode = EXIT_CODES.error;
    });
  init
    .command('fleet')
    .description('create a new fleet repo: fleet.yaml, an example box, schemas for editors, PR checks, CODEOWNERS')
    .argument('<dir>', 'directory of the new repo (created if missing)')
    .option('--nfs-server <ip>', 'storage server IP (boot.nfsServer)', '10.165.98.101')
    .option('--gateway <ip>', 'boot.gateway', '10.165.98.1')
    .option('--netmask <mask>', 'boot.netmask', '255.255.254.0')
    .option('--example <name=ip>', 'the example box', 'tb-example-01=10.165.98.220')
    .addHelpText(
      'after',
      `
Writes fleet.yaml, testboxes/<example>.yaml, .tbx/schema/*.json (with yaml-language-server
modelines and .vscode/settings.json), .github/workflows/tbx.yaml, .gitlab-ci.yml, CODEOWNERS and a
README, and runs git init. Nothing is committed.

Examples:
  tbx init fleet ~/fleet --nfs-server 10.42.1.1 --gateway 10.42.1.254 --netmask 255.255.255.0
  cd ~/fleet && tbx validate . && git add -A && git commit -m "New testbox fleet"`,
    )
    .action(async (dir: string, opts: Record<string, unknown>) => {
      const [exampleName, exampleIp] = String(opts.example).split('=');
      if (!exampleName || !exampleIp) throw new UsageError('--example must be name=ip');
      const files = await initFleet({ dir, nfsServer: String(opts.nfsServer), gateway: String(opts.gateway), netmask: String(opts.netmask), exampleName, exampleIp });
      process.stdout.write(`Created a fleet repo in ${dir}:\n${files.map((f) => `  + ${f}`).join('\n')}\n\nNext: edit fleet.yaml and testboxes/, run 'tbx validate ${dir}', commit, push, and point the reconciler at the remote.\n`);
    });
}

function renderSteps(steps: InitStep[], tftp: string, backup: string, dryRun: boolean): string {
  const p = painter(colorEnabled(process.stdout));
  const paint = (r: InitStep['result']) => (r === 'created' || r === 'updated' ? p.green(r) : r === 'refused' ? p.red(r) : r === 'kept' ? p.yellow(r) : p.dim(r));
  const out: string[] = [];
  for (const [share, root] of [['tftp', tftp], ['backup', backup]] as const) {
    out.push(`${share === 'tftp' ? 'TFTP root' : 'Backup share'} ${root}${dryRun ? ' (dry run)' : ''}`);
    out.push(...table(['RESULT', 'PATH', 'DETAIL'], steps.filter((s) => s.share === share).map((s) => [paint(s.result), s.path, s.detail])).split('\n').slice(1).map((l) => `  ${l}`));
  }
  const changed = steps.filter((s) => s.result === 'created' || s.result === 'updated').length;
  out.push('', `${changed} change(s)${dryRun ? ' would be made' : ''}, ${steps.filter((s) => s.result === 'unchanged').length} unchanged${steps.some((s) => s.result === 'refused') ? ', 1 refused' : ''}.`);
  return out.join('\n');
}
