import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { buildBootImage } from '../../bootimage/build.js';
import type { Logger } from '../../lib/logger.js';

/** `tbx bootimage build`: the maintenance image (the TFTP root's boot loader comes from `tbx init site`). */
export function register(program: Command, logger: () => Logger): void {
  const cmd = program
    .command('bootimage')
    .description('build the maintenance image: a Debian kernel and a one-file initramfs that runs tbx agent')
    .addHelpText('after', '\nExamples:\n  tbx init site --tftp /srv/testbox-tftp --backup /srv/testbox-backup   # PXELINUX and the default config first\n  tbx bootimage build --out /srv/testbox-tftp/maintenance-boot');
  cmd
    .command('build')
    .description('build vmlinuz and initrd.img: a Debian kernel and an initramfs with busybox, Node, git and tbx agent')
    .requiredOption('--out <dir>', 'directory that gets vmlinuz and initrd.img, e.g. <tftp-root>/maintenance-boot')
    .addOption(new Option('--cache <dir>', 'where downloaded kernel packages and packed images are kept').env('TBX_CACHE_DIR').default(defaultCacheDir()))
    .option('--kernel-package <name>', 'versioned kernel package (default: what linux-image-amd64 depends on)')
    .option('--busybox <file>', 'static busybox to use (default: busybox on PATH, from busybox-static)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Needs (Debian): apt-get install busybox-static cpio kmod git, and 'apt-get update' for the kernel download.
The kernel package is fetched with 'apt-get download' and unpacked with 'dpkg-deb -x'; nothing is installed.
Point the site's boot.kernel and boot.initrd (fleet.yaml) at the two files, relative to the TFTP root.

Examples:
  tbx bootimage build --out /srv/testbox-tftp/maintenance-boot
  tbx bootimage build --out ./maintenance-boot --cache /var/tmp/tbx-cache --json`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const r = await buildBootImage({
        out: String(opts.out),
        cacheDir: String(opts.cache),
        ...(opts.kernelPackage ? { kernelPackage: String(opts.kernelPackage) } : {}),
        ...(opts.busybox ? { busybox: String(opts.busybox) } : {}),
        log: logger(),
      });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
      process.stdout.write(
        [
          `kernel      ${r.vmlinuz}  ${mib(r.vmlinuzBytes)}  (${r.kernelPackage})`,
          `initramfs   ${r.initrd}  ${mib(r.initrdBytes)}  (${mib(r.stagedBytes)} unpacked, ${r.modules} modules, agent bundle ${mib(r.agentBundleBytes)}${r.nativePackages.length ? `, native: ${r.nativePackages.join(' ')}` : ''}${r.fromCache ? ', from cache' : ''})`,
          `built in ${r.seconds.toFixed(1)} s`,
          '',
        ].join('\n'),
      );
    });
}

/** /var/cache/tbx for root, else $XDG_CACHE_HOME/tbx (or ~/.cache/tbx). */
function defaultCacheDir(): string {
  if (process.getuid?.() === 0) return '/var/cache/tbx';
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tbx');
}
