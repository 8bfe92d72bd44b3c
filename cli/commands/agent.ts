import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { runAgent } from '../../agent/run-agent.js';
import { allStores, writeStore } from '../../imaging/stores.js';
import { createLogger } from '../../lib/logger.js';
import { numberOption } from '../option-values.js';

/** `tbx agent`: runs on the maintenance image and carries out the action of this boot. */
export function register(program: Command): void {
  program
    .command('agent')
    .description('carry out the maintenance action of this boot (runs on the maintenance image)')
    .addOption(new Option('--fleet <repo>', 'fleet repo to commit the status to (without it the status is only spooled on the share)').env('TBX_FLEET'))
    .addOption(new Option('--branch <name>', 'fleet branch').env('TBX_BRANCH'))
    .addOption(new Option('--tftp <dir>', 'TFTP share mount point').env('TBX_TFTP_ROOT').default('/mnt/testbox-tftp'))
    .addOption(new Option('--backup <dir>', 'backup share mount point').env('TBX_BACKUP_ROOT').default('/mnt/testbox-backup'))
    .option('--ip <ip>', "this box's IPv4 address (default: its only non-loopback address)")
    .option('--cmdline <file>', 'kernel command line to read', '/proc/cmdline')
    .option('--sys-block <dir>', 'where block devices are listed', '/sys/block')
    .option('--dev-dir <dir>', 'where device nodes are', '/dev')
    .option('--no-reboot', 'do not reboot when done (the PXE config is still removed on success)')
    .addOption(new Option('--hostname <name>', 'skip the reverse DNS lookup').hideHelp())
    .addOption(new Option('--proc-dir <dir>').default('/proc').hideHelp())
    .addOption(new Option('--sys-firmware <dir>').default('/sys/firmware').hideHelp())
    .addOption(numberOption(new Option('--fail-delay <seconds>', 'pause before rebooting after a failure').default(300), { unit: 'seconds', zero: true }))
    .addOption(numberOption(new Option('--share-wait <seconds>', 'pause between share mount attempts').default(15), { unit: 'seconds', zero: true }))
    .addOption(new Option('--no-mount', 'do not try to mount missing shares'))
    .addOption(new Option('--reboot-command <cmd...>', 'how to reboot').default(['reboot']))
    .addOption(new Option('--state-dir <dir>', "where the agent keeps its clone of the fleet repo").env('TBX_STATE_DIR'))
    .addHelpText('after', '\nThe action comes from the kernel command line (testbox-action-<action> testbox-request=<id> testbox-name=<box>).\n\nExamples:\n  tbx agent --fleet git://10.0.2.2/fleet.git                  # on the maintenance image\n  tbx agent --ip 10.0.2.15 --cmdline ./cmdline --dev-dir ./dev --sys-block ./sys/block --no-reboot   # a dry run against files\n\nExit codes: 0 done; the seed\'s codes otherwise: 10 no IP, 11 backup share, 12 TFTP share, 13 no PXE config, 14 no action, 15 bad action, 16 stale boot, 17 no disks, 18 image exists, 19 backup failed, 20 restore failed, 98 internal, 99 PXE config not removed.')
    .action(async (opts: Record<string, unknown>) => {
      const log = createLogger({ sync: true, level: process.env.TBX_LOG_LEVEL ?? 'warn' });
      process.exitCode = await runAgent({
        tftpRoot: String(opts.tftp),
        backupRoot: String(opts.backup),
        ...(opts.fleet ? { fleet: String(opts.fleet) } : {}),
        ...(opts.branch ? { branch: String(opts.branch) } : {}),
        stateDir: typeof opts.stateDir === 'string' ? opts.stateDir : join(tmpdir(), 'tbx-agent'),
        ...(opts.ip ? { ip: String(opts.ip) } : {}),
        ...(opts.hostname ? { hostname: String(opts.hostname) } : {}),
        cmdlineFile: String(opts.cmdline),
        sysBlock: String(opts.sysBlock),
        devDir: String(opts.devDir),
        procDir: String(opts.procDir),
        sysFirmware: String(opts.sysFirmware),
        reboot: opts.reboot !== false,
        rebootCommand: opts.rebootCommand as string[],
        failDelayMs: (opts.failDelay as number) * 1000,
        shareWaitMs: (opts.shareWait as number) * 1000,
        tryMount: opts.mount !== false,
        stores: allStores(),
        writeStore: writeStore(),
        now: () => new Date(),
        log,
        console: { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) },
      });
    });
}
