import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Result } from 'execa';
import { runTbx } from '../../test/helpers/cli.js';
import { box, makeFleetRepo, type FleetRepo } from '../../test/helpers/fleet-repo.js';
import { tempDir } from '../../test/helpers/tmp.js';
import { startGitDaemon, type GitDaemon } from './git-daemon.js';
import { makeBootableDisk } from './mbr-disk.js';
import { startGuest, type Guest, type GuestOptions } from './qemu-guest.js';

/** The test machine: QEMU user networking gives it 10.0.2.15 (PXE file 0A00020F); the host is 10.0.2.2. */
export const BOX = { name: 'tb-e2e', ip: '10.0.2.15', hex: '0A00020F' } as const;
/** Where the maintenance image build keeps the kernel package and packed images between runs. */
export const E2E_CACHE = process.env.TBX_E2E_CACHE ?? '/var/tmp/tbx-e2e-cache';

/** A whole site in a temp dir: fleet repo (bare + admin clone) behind a git daemon, TFTP root, backup share, the box's disk. */
export interface E2eSite {
  root: string;
  tftp: string;
  backup: string;
  state: string;
  disk: string;
  repo: FleetRepo;
  daemon: GitDaemon;
  /** `tbx reconcile` against this site. */
  reconcile(): Promise<Result>;
  /** `tbx plan` against this site (exit 0: no changes, 2: changes pending). */
  plan(): Promise<Result>;
  /** `tbx image export` of the box's newest sda image as a raw file at `out` (chunked images). */
  exportImage(out: string): Promise<Result>;
  /** Merge a pull request that sets the box's action and request. */
  request(pr: number, action: string, request: string): Promise<void>;
  /** PXE-boot the box (9p shares `backup` and `tftp`); killed when the test ends. */
  boot(options?: Partial<GuestOptions>): Guest;
}

/** How the box reaches the site: its git URL's daemon, the share tokens, and QEMU's network options. */
export interface SiteNetwork {
  daemon: GitDaemon;
  /** `tbx.backup=...` and `tbx.tftp=...` for boot.extraArgs. */
  shareArgs: string[];
  guest: Partial<GuestOptions>;
}

/**
 * The default network: QEMU user networking (DHCP + TFTP of the TFTP root), the shares as
 * 9p exports, and a git daemon on the host's loopback (10.0.2.2 for the guest).
 */
export async function userNetwork(dirs: { root: string; tftp: string; backup: string }): Promise<SiteNetwork> {
  return { daemon: await startGitDaemon(dirs.root), shareArgs: ['tbx.backup=9p:backup', 'tbx.tftp=9p:tftp'], guest: { tftpRoot: dirs.tftp, shares: { backup: dirs.backup, tftp: dirs.tftp } } };
}

/** What the scenario varies. */
export interface SiteOptions {
  /** Default: {@link userNetwork}. Called once the site's directories exist. */
  network?: (dirs: { root: string; tftp: string; backup: string }) => Promise<SiteNetwork>;
  maxAttempts?: number;
  /** Seconds /init waits after a failed attempt before rebooting (tbx.fail-delay). */
  failDelay?: number;
  /** Extra kernel arguments, or replacements for the share tokens. */
  extraArgs?: string[];
  /** Size of the box's disk (default 64 MiB). */
  diskMiB?: number;
  /** policy.imageFormat (default: the site default, chunked). */
  imageFormat?: 'chunked' | 'gzip';
}

/**
 * Build a site the way the README sets up a real one: `tbx init site` (PXELINUX, the local-boot
 * `default`, the backup share's marker) and `tbx bootimage build --out <tftp>/maintenance-boot`
 * for the TFTP root, and a fleet repo whose fleet.yaml points the kernel at the two files and
 * names the shares and the fleet URL in boot.extraArgs. `tbx reconcile` writes every PXE file.
 */
export async function createE2eSite(t: TestContext, o: SiteOptions = {}): Promise<E2eSite> {
  const root = await tempDir(t, 'tbx-e2e-');
  const tftp = join(root, 'tftp');
  const backup = join(root, 'backup');
  const state = join(root, 'state');
  await mkdir(state, { recursive: true });
  await tbx(['init', 'site', '--tftp', tftp, '--backup', backup]);
  const built = Date.now();
  await tbx(['bootimage', 'build', '--out', join(tftp, 'maintenance-boot'), '--cache', E2E_CACHE]);
  t.diagnostic(`tbx bootimage build: ${((Date.now() - built) / 1000).toFixed(1)} s`);

  const network = await (o.network ?? userNetwork)({ root, tftp, backup });
  const daemon = network.daemon;
  t.after(() => daemon.stop());
  const extraArgs = [
    'console=ttyS0,115200',
    ...network.shareArgs,
    `tbx.fleet=${daemon.guestUrl('fleet.git')}`,
    `tbx.fail-delay=${o.failDelay ?? 10}`,
    ...(o.extraArgs ?? []),
  ];
  const site = {
    apiVersion: 'tbx/v1',
    kind: 'Site',
    boot: { nfsServer: '10.0.2.2', gateway: '10.0.2.2', netmask: '255.255.255.0', ethDevice: 'eth0', ipConfig: 'static', kernel: 'maintenance-boot/vmlinuz', initrd: 'maintenance-boot/initrd.img', extraArgs },
    policy: { maxConcurrent: 10, maxAttempts: o.maxAttempts ?? 3, ...(o.imageFormat ? { imageFormat: o.imageFormat } : {}) },
  };
  const repo = await makeFleetRepo(root, { 'fleet.yaml': site, [`testboxes/${BOX.name}.yaml`]: box(BOX.name, BOX.ip, { disks: ['sda'] }) });
  const disk = join(root, 'disk.img');
  await makeBootableDisk(disk, o.diskMiB ?? 64);
  const logFile = join(root, 'serial.log');
  const shares = ['--fleet', repo.bare, '--tftp', tftp, '--backup', backup, '--state-dir', state];
  return {
    root,
    tftp,
    backup,
    state,
    disk,
    repo,
    daemon,
    reconcile: () => tbx(['reconcile', ...shares]),
    plan: () => runTbx(['plan', ...shares]),
    exportImage: (out) => tbx(['image', 'export', BOX.ip, '--backup', backup, '--device', 'sda', '--format', 'raw', '--output', out]),
    async request(pr, action, request) {
      await repo.mergePr(pr, { [`testboxes/${BOX.name}.yaml`]: box(BOX.name, BOX.ip, { disks: ['sda'], action, request }) }, `${BOX.name}: ${action} (${request})`);
    },
    boot(options = {}) {
      const guest = startGuest({ disk, hardTimeoutMs: 240_000, onLine: (l) => void appendFile(logFile, `${l}\n`), ...network.guest, ...options });
      t.after(() => guest.kill());
      return guest;
    },
  };
}

/** Run tbx and fail loudly unless it exits 0. */
async function tbx(args: string[]): Promise<Result> {
  const r = await runTbx(args);
  if (r.exitCode !== 0) throw new Error(`tbx ${args.join(' ')} exited ${r.exitCode}:\n${r.all}`);
  return r;
}
