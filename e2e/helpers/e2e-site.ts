import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Result } from 'execa';
import { packageRoot } from '../../lib/package-root.js';
import { runTbx, TBX_TIMEOUT_MS } from '../../test/helpers/cli.js';
import { box, makeFleetRepo, type FleetRepo } from '../../test/helpers/fleet-repo.js';
import { CleanupStack, type Cleanup } from './cleanup-stack.js';
import { startGitDaemon, type GitDaemon } from './git-daemon.js';
import { LOCALBOOT_MARKER, makeBootableDisk } from './mbr-disk.js';
import { POWER_EVENT_PREFIX, startPowerController, type PowerController } from './power-controller.js';
import { startGuest, type Guest, type GuestOptions } from './qemu-guest.js';
import { startReconcileWatch, type ReconcileWatch } from './reconcile-watch.js';

/** The test machine: QEMU user networking gives it 10.0.2.15 (PXE file 0A00020F); the host is 10.0.2.2. */
export const BOX = { name: 'tb-e2e', ip: '10.0.2.15', hex: '0A00020F' } as const;
/** Where the maintenance image build keeps the kernel package and packed images between runs. */
export const E2E_CACHE = process.env.TBX_E2E_CACHE ?? '/var/tmp/tbx-e2e-cache';
/** Kill a QEMU after this long whatever happens: a backstop, as long as a scenario's own timeout (its end kills QEMU too). */
const GUEST_HARD_TIMEOUT_MS = 300_000;

/** A whole site in a temp dir: fleet repo (bare + admin clone) behind a git daemon, TFTP root, backup share, the box's disk. */
export interface E2eSite {
  root: string;
  tftp: string;
  backup: string;
  state: string;
  disk: string;
  /** The box's serial console, all boots, with power events between (see {@link POWER_EVENT_PREFIX}). */
  consoleLog: string;
  repo: FleetRepo;
  daemon: GitDaemon;
  /** With `power: true`: the box's BMC, which the site's reboot command drives. */
  power?: PowerController;
  /** With `power: true`: the site's checkCommand as tbx runs it for the box. */
  checkArgv?: string[];
  /** `tbx reconcile` against this site (one pass). */
  reconcile(): Promise<Result>;
  /** `tbx reconcile --watch` against this site, stopped by {@link E2eSite.shutdown}. */
  watch(): ReconcileWatch;
  /** `tbx plan` against this site (exit 0: no changes, 2: changes pending). */
  plan(): Promise<Result>;
  /** `tbx image export` of the box's newest sda image as a raw file at `out` (chunked images). */
  exportImage(out: string): Promise<Result>;
  /** Merge a pull request that sets the box's action and request. */
  request(pr: number, action: string, request: string): Promise<void>;
  /** Wait until the fleet repo's newest commit has this subject; rejects after `ms` or when `signal` aborts. */
  waitForCommit(subject: string, ms: number, signal?: AbortSignal): Promise<void>;
  /** PXE-boot the box by hand (9p shares `backup` and `tftp`); killed by {@link E2eSite.shutdown}. */
  boot(options?: Partial<GuestOptions>): Guest;
  /** End a scenario: stop the reconcile watchers, then kill every QEMU of this site (idempotent). */
  shutdown(): Promise<void>;
}

/** How the box reaches the site: its git URL's daemon, the share tokens, and QEMU's network options. */
export interface SiteNetwork {
  daemon: GitDaemon;
  /** `tbx.backup=...` and `tbx.tftp=...` for boot.extraArgs. */
  shareArgs: string[];
  guest: Partial<GuestOptions>;
}

/** The site's directories, for a {@link SiteOptions.network}. */
export interface SiteDirs {
  root: string;
  tftp: string;
  backup: string;
}

/**
 * The default network: QEMU user networking (DHCP + TFTP of the TFTP root), the shares as
 * 9p exports, and a git daemon on the host's loopback (10.0.2.2 for the guest).
 */
export async function userNetwork(dirs: SiteDirs, defer: (fn: Cleanup) => void): Promise<SiteNetwork> {
  const daemon = await startGitDaemon(dirs.root);
  defer(() => daemon.stop());
  return { daemon, shareArgs: ['tbx.backup=9p:backup', 'tbx.tftp=9p:tftp'], guest: { tftpRoot: dirs.tftp, shares: { backup: dirs.backup, tftp: dirs.tftp } } };
}

/** What the scenario varies. */
export interface SiteOptions {
  /** Default: {@link userNetwork}. Called once the site's directories exist; `defer` registers its teardown. */
  network?: (dirs: SiteDirs, defer: (fn: Cleanup) => void) => Promise<SiteNetwork>;
  maxAttempts?: number;
  /** Seconds /init waits after a failed attempt before rebooting (tbx.fail-delay). */
  failDelay?: number;
  /** Extra kernel arguments, or replacements for the share tokens. */
  extraArgs?: string[];
  /** Size of the box's disk (default 64 MiB). */
  diskMiB?: number;
  /** policy.imageFormat (default: the site default, chunked). */
  imageFormat?: 'chunked' | 'gzip';
  /** boot.ipConfig: how /init brings the network up (default static, from ip=). */
  ipConfig?: 'static' | 'dhcp';
  /**
   * fleet.yaml gets power.rebootCommand (e2e/fixtures/power-cycle.mjs, which asks the site's
   * {@link PowerController} to power the box on or reset it) and power.checkCommand
   * (e2e/fixtures/console-booted.mjs: the disk's marker on the console since the last
   * power cycle). The disk's boot sector then halts instead of ending QEMU: the box stays up.
   */
  power?: boolean;
}

/**
 * Build a site the way the README sets up a real one: `tbx init site` (PXELINUX, the local-boot
 * `default`, the backup share's marker) and `tbx bootimage build --out <tftp>/maintenance-boot`
 * for the TFTP root, and a fleet repo whose fleet.yaml points the kernel at the two files and
 * names the shares and the fleet URL in boot.extraArgs. `tbx reconcile` writes every PXE file.
 * Everything it starts is torn down in reverse order when test `t` ends, the temp dir last.
 */
export async function createE2eSite(t: TestContext, o: SiteOptions = {}): Promise<E2eSite> {
  const cleanup = new CleanupStack();
  t.after(() => cleanup.run());
  const defer = (fn: Cleanup) => cleanup.defer(fn);
  const root = await mkdtemp(join(tmpdir(), 'tbx-e2e-'));
  defer(() => (process.env.TBX_KEEP_TMP ? undefined : rm(root, { recursive: true, force: true })));
  const tftp = join(root, 'tftp');
  const backup = join(root, 'backup');
  const state = join(root, 'state');
  await mkdir(state, { recursive: true });
  await tbx(['init', 'site', '--tftp', tftp, '--backup', backup]);
  const built = Date.now();
  // Uncached (a fresh machine: kernel download, packing) it takes a few minutes at most.
  await tbx(['bootimage', 'build', '--out', join(tftp, 'maintenance-boot'), '--cache', E2E_CACHE], 300_000);
  t.diagnostic(`tbx bootimage build: ${((Date.now() - built) / 1000).toFixed(1)} s`);

  const network = await (o.network ?? userNetwork)({ root, tftp, backup }, defer);
  const daemon = network.daemon;
  const disk = join(root, 'disk.img');
  await makeBootableDisk(disk, o.diskMiB ?? 64, { onBoot: o.power ? 'halt' : 'exit' });
  await mkdir(join(root, 'console'));
  const consoleLog = join(root, 'console', `${BOX.name}.log`);
  // One stream, so serial lines and power events stay in order (the check reads the order).
  const serialLog = createWriteStream(consoleLog, { flags: 'a' });
  const note = (line: string) => void (serialLog.writableEnded || serialLog.write(`${line}\n`));
  defer(() => new Promise((resolve) => serialLog.end(resolve)));
  const guests = new Set<Guest>();
  let started = 0;
  const start = (options: Partial<GuestOptions> = {}) => {
    const monitor = join(root, `qemu-${++started}.monitor`);
    const guest = startGuest({ disk, hardTimeoutMs: GUEST_HARD_TIMEOUT_MS, monitor, onLine: note, ...network.guest, ...options });
    guests.add(guest);
    return guest;
  };
  const power = o.power ? await startPowerController({ socket: join(root, 'bmc.sock'), box: BOX, pxeFile: join(tftp, 'pxelinux.cfg', BOX.hex), start: () => start(), log: note }) : undefined;
  if (power) defer(() => power.close());
  const watchers = new Set<ReconcileWatch>();
  const shutdown = async () => {
    await Promise.all([...watchers].map((w) => w.stop()));
    await Promise.all([...guests].map((g) => g.kill()));
  };
  defer(shutdown);

  const fixture = (name: string) => join(packageRoot(), 'e2e', 'fixtures', name);
  const checkCommand = [process.execPath, fixture('console-booted.mjs'), join(root, 'console', '{name}.log'), LOCALBOOT_MARKER, POWER_EVENT_PREFIX];
  const extraArgs = ['console=ttyS0,115200', ...network.shareArgs, `tbx.fleet=${daemon.guestUrl('fleet.git')}`, `tbx.fail-delay=${o.failDelay ?? 10}`, ...(o.extraArgs ?? [])];
  const site = {
    apiVersion: 'tbx/v1',
    kind: 'Site',
    boot: { nfsServer: '10.0.2.2', gateway: '10.0.2.2', netmask: '255.255.255.0', ethDevice: 'eth0', ipConfig: o.ipConfig ?? 'static', kernel: 'maintenance-boot/vmlinuz', initrd: 'maintenance-boot/initrd.img', extraArgs },
    policy: { maxConcurrent: 10, maxAttempts: o.maxAttempts ?? 3, ...(o.imageFormat ? { imageFormat: o.imageFormat } : {}) },
    ...(power ? { power: { rebootCommand: [process.execPath, fixture('power-cycle.mjs'), power.socket, '{name}', '{ip}', '{hexip}', '{request}'], checkCommand, timeoutSeconds: 30, retries: 1, comebackMinutes: 5 } } : {}),
  };
  const repo = await makeFleetRepo(root, { 'fleet.yaml': site, [`testboxes/${BOX.name}.yaml`]: box(BOX.name, BOX.ip, { disks: ['sda'] }) });
  const shares = ['--fleet', repo.bare, '--tftp', tftp, '--backup', backup, '--state-dir', state];
  return {
    root,
    tftp,
    backup,
    state,
    disk,
    consoleLog,
    repo,
    daemon,
    ...(power ? { power, checkArgv: checkCommand.map((a) => a.replace('{name}', BOX.name)) } : {}),
    reconcile: () => tbx(['reconcile', ...shares]),
    watch() {
      const w = startReconcileWatch(shares, join(root, `reconcile-watch-${watchers.size + 1}.log`));
      watchers.add(w);
      return w;
    },
    plan: () => runTbx(['plan', ...shares]),
    exportImage: (out) => tbx(['image', 'export', BOX.ip, '--backup', backup, '--device', 'sda', '--format', 'raw', '--output', out]),
    async request(pr, action, request) {
      await repo.mergePr(pr, { [`testboxes/${BOX.name}.yaml`]: box(BOX.name, BOX.ip, { disks: ['sda'], action, request }) }, `${BOX.name}: ${action} (${request})`);
    },
    async waitForCommit(subject, ms, signal) {
      const deadline = Date.now() + ms;
      for (;;) {
        const log = await repo.log();
        if (log[0] === subject) return;
        if (Date.now() > deadline || signal?.aborted) throw new Error(`no commit "${subject}" within ${ms / 1000} s; newest commits:\n  ${log.slice(0, 6).join('\n  ')}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
    boot: (options) => start(options),
    shutdown,
  };
}

/** Run tbx and fail loudly unless it exits 0 in time. */
async function tbx(args: string[], timeoutMs?: number): Promise<Result> {
  const r = await runTbx(args, {}, timeoutMs ? { timeoutMs } : {});
  if (r.timedOut) throw new Error(`tbx ${args.join(' ')} did not finish within ${(timeoutMs ?? TBX_TIMEOUT_MS) / 1000} s and was killed:\n${r.all}`);
  if (r.exitCode !== 0) throw new Error(`tbx ${args.join(' ')} exited ${r.exitCode}:\n${r.all}`);
  return r;
}
