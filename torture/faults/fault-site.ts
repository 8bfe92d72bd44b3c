import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ImageFormat } from '../../imaging/store.js';
import { hexIp } from '../../lib/hex-ip.js';
import { bootBox, makeAgentBox, type AgentBox } from '../../test/helpers/agent-box.js';
import { makeTestDisk, sha256File } from '../../test/helpers/disks.js';
import { git } from '../../test/helpers/git.js';
import { runAgentChild, type AgentRun } from '../lib/agent-run.js';
import { makeChecker, verifyBox, type Checker } from '../lib/image-checks.js';
import { makeWorld, pushRevision, tbx, type World } from '../lib/world.js';

/** The faults' box. */
export const NAME = 'tb-fault';
const IP = '10.4.0.10';

/** A fleet repo, both shares, one box with a disk and a good image of it, and a checker disk. */
export interface FaultSite {
  world: World;
  box: AgentBox;
  checker: Checker;
  boxDir: string;
  maxAttempts: number;
  /** SHA-256 of what the newest good image holds. */
  goodHash: string;
  requests: number;
}

/** The site's fleet.yaml with this policy. */
function fleetYaml(policy: Record<string, unknown>): string {
  return stringify({ apiVersion: 'tbx/v1', kind: 'Site', boot: { nfsServer: '10.165.98.101', gateway: '10.165.98.1', netmask: '255.255.254.0' }, policy });
}

/**
 * Build the site under `root` (the backup share at `root/backup` may already be a mount) and
 * take the first image through the whole loop: request, reconcile, boot, agent, reconcile.
 */
export async function makeFaultSite(root: string, o: { sizeMiB: number; maxAttempts: number }): Promise<FaultSite> {
  const world = await makeWorld(root, { 'fleet.yaml': fleetYaml({ maxAttempts: o.maxAttempts }), [`testboxes/${NAME}.yaml`]: stringify({ apiVersion: 'tbx/v1', kind: 'Testbox', name: NAME, ip: IP }) });
  const box = await makeAgentBox(root, NAME, IP, { sda: o.sizeMiB });
  await makeTestDisk(box.disk('sda'), o.sizeMiB << 20, 'fault-site');
  const site: FaultSite = { world, box, checker: await makeChecker(join(root, 'checker'), box), boxDir: join(world.shares.backup, IP), maxAttempts: o.maxAttempts, goodHash: '', requests: 0 };
  await request(site, 'backup');
  const run = await boot(site);
  const after = await pass(site);
  if (run?.exitCode !== 0 || after.exitCode !== 0) throw new Error(`the first backup failed: agent exit ${run?.exitCode}: ${run?.all.slice(-300)}; reconcile: ${after.all.slice(-300)}`);
  site.goodHash = await sha256File(box.disk('sda'));
  return site;
}

/** Merge a request for `action` (new id), with the site's imageFormat, and run a pass to write the config. Returns the id. */
export async function request(site: FaultSite, action: string, format: ImageFormat = 'chunked'): Promise<string> {
  const id = `f${++site.requests}`;
  await pushRevision(site.world, { 'fleet.yaml': fleetYaml({ maxAttempts: site.maxAttempts, imageFormat: format }), [`testboxes/${NAME}.yaml`]: stringify({ apiVersion: 'tbx/v1', kind: 'Testbox', name: NAME, ip: site.box.ip, action, request: id }) }, {}, `request ${action} ${id}`);
  site.world.base = (await git(site.world.repo.work, ['rev-parse', 'HEAD'])).trim();
  const p = await pass(site);
  if (p.exitCode !== 0) throw new Error(`reconcile after requesting ${action} ${id} failed: ${p.all.slice(-300)}`);
  return id;
}

/** The box powers on: with its PXE config it runs the real agent (committing to the fleet repo), else it boots its disk (null). */
export async function boot(site: FaultSite, extra: string[] = []): Promise<AgentRun | null> {
  if (!(await bootBox(site.box, site.world.shares))) return null;
  return runAgentChild(site.box, site.world.shares, {}, ['--fleet', site.world.repo.bare, ...extra]);
}

/** One reconcile pass (never throws). */
export function pass(site: FaultSite) {
  return tbx(site.world, ['reconcile', '--lock-wait', '60']);
}

/** Whether the box's PXE config exists. */
export function hasConfig(site: FaultSite): Promise<boolean> {
  return access(join(site.world.shares.cfg, hexIp(site.box.ip))).then(() => true, () => false);
}

/** What booting a failing box over and over did. */
export interface Retries {
  exits: Array<number | undefined>;
  errors: string[];
  /** The end of each boot's output, for the JSON results. */
  outputs: string[];
  /** The config was still there after the first failure and its pass (so the box retries). */
  keptForRetry: boolean;
  /** How the boots ended: Stalled by the reconciler, config removed otherwise (the agent succeeded), or still looping. */
  ended: 'stalled' | 'removed' | 'looping';
  failedPasses: string[];
}

/**
 * Boot the box and run a pass, again and again as a failing box would, until its config is
 * gone or `maxAttempts + 2` boots (a box that would loop forever). `extra` goes to every agent run.
 */
export async function bootUntilSettled(site: FaultSite, extra: string[] = []): Promise<Retries> {
  const r: Retries = { exits: [], errors: [], outputs: [], keptForRetry: false, ended: 'looping', failedPasses: [] };
  for (let n = 1; n <= site.maxAttempts + 2; n++) {
    const run = await boot(site, extra);
    if (!run) break;
    r.exits.push(run.exitCode);
    r.errors.push(errorLine(run.all));
    r.outputs.push(run.all.slice(-2000));
    const p = await pass(site);
    if (p.exitCode !== 0) r.failedPasses.push(`exit ${p.exitCode}: ${errorLine(p.all)}`);
    if (n === 1) r.keptForRetry = await hasConfig(site);
    if (!(await hasConfig(site))) {
      const note = await git(site.world.repo.bare, ['show', `main:notes/${NAME}.yaml`]).catch(() => '');
      r.ended = /Stalled/.test(note) ? 'stalled' : 'removed';
      break;
    }
  }
  return r;
}

/** What a restore takes now: the image's ref and the SHA-256 of what it restores (a garbage disk, the agent's own code). */
export async function currentImage(site: FaultSite): Promise<{ image?: string; sha256?: string; error?: string }> {
  return site.checker.restore(site.boxDir);
}

/**
 * Problems with the image a restore takes: it must verify and restore bit-exactly the
 * content `want` (by default the last good backup's) onto a garbage disk.
 */
export async function checkGoodImage(site: FaultSite, want = site.goodHash, what = 'the last good backup'): Promise<string[]> {
  const problems = (await verifyBox(site.world.shares.backup, site.box.ip)).map((p) => `verify: ${p}`);
  const r = await currentImage(site);
  if (r.sha256 !== want) problems.push(`the image a restore takes (${r.image ?? 'none'}) ${r.error ? `fails: ${r.error}` : `does not restore ${what}`}`);
  return problems;
}

/** The agent's error as it printed it (`tbx agent: error: ...`), or its last line. */
export function errorLine(all: string): string {
  const lines = all.split('\n').filter((l) => /error/i.test(l));
  const agent = lines.filter((l) => l.startsWith('tbx agent: error:'));
  return ((agent.at(-1) ?? lines.at(-1) ?? all.trim().split('\n').at(-1)) || '').slice(0, 500);
}
