import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { tbxBin } from '../../lib/package-root.js';
import { agentArgs, bootBox, makeAgentBox, runAgent } from '../../test/helpers/agent-box.js';
import { git } from '../../test/helpers/git.js';
import { report } from '../lib/report.js';
import { makeWorld, pushRevision, tbx } from '../lib/world.js';

const IP = '10.0.0.10';
const SITE = { apiVersion: 'tbx/v1', kind: 'Site', boot: { nfsServer: '10.165.98.101', gateway: '10.165.98.1', netmask: '255.255.254.0' } };

/**
 * Crash trials of the agent's status report: each trial requests refresh-info with a new id,
 * boots the box (the real agent, pushing to the bare repo), kills it with SIGKILL at a random
 * moment, then lets the box boot again as a real one would (its config is still there if the
 * agent died before removing it) and lets the reconciler run. Afterwards git must hold exactly
 * one final Succeeded status for the request, the bare repo must pass `git fsck`, and the
 * next plan must have nothing to do.
 */
export async function runStatusPushCrashes(trials: number): Promise<{ failures: number }> {
  const root = await mkdtemp(join(tmpdir(), 'tbx-torture-push-'));
  try {
    const box = (request?: string) => stringify({ apiVersion: 'tbx/v1', kind: 'Testbox', name: 'tb-a', ip: IP, ...(request ? { action: 'refresh-info', request } : {}) });
    const world = await makeWorld(root, { 'fleet.yaml': stringify(SITE), 'testboxes/tb-a.yaml': box() });
    const simBox = await makeAgentBox(root, 'tb-a', IP, { sda: 1 });
    const boot = () => bootBox(simBox, world.shares);
    let agentMs = 0;
    const problems: string[] = [];
    let killedBeforeRemoval = 0;
    let forwarded = 0;
    for (let t = 0; t < trials; t++) {
      const request = `p${t}`;
      await pushRevision(world, { 'testboxes/tb-a.yaml': box(request) }, {}, `request ${request}`);
      world.base = (await git(world.repo.work, ['rev-parse', 'HEAD'])).trim();
      if ((await tbx(world, ['reconcile'])).exitCode !== 0) problems.push(`trial ${t}: reconcile failed`);
      if (!(await boot())) problems.push(`trial ${t}: no config written`);
      const started = Date.now();
      const fleetArgs = ['--fleet', world.repo.bare];
      const child = execa(process.execPath, [tbxBin(), ...agentArgs(simBox, world.shares, fleetArgs)], { reject: false, env: { TBX_LOG_LEVEL: 'silent', TBX_CONFIG: '' } });
      const delay = Math.floor(Math.random() * (agentMs || 1500));
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const first = await child;
      clearTimeout(timer);
      if (!first.signal && agentMs === 0) agentMs = Date.now() - started;
      // The box reboots: while its config is still there it boots the maintenance image again.
      for (let again = 0; again < 3 && (await boot()); again++) {
        if (again === 0) killedBeforeRemoval++;
        await runAgent(simBox, world.shares, fleetArgs, { TBX_LOG_LEVEL: 'silent' });
      }
      const pass = await tbx(world, ['reconcile', '--log-level', 'info']);
      if (/op":"forward-status"/.test(pass.all)) forwarded++;
      const plan = await tbx(world, ['plan']);
      if (plan.exitCode !== 0) problems.push(`trial ${t}: plan still has changes after recovery: ${plan.stdout.slice(-300)}`);
      const log = (await git(world.repo.bare, ['log', '--format=%s', 'main'])).split('\n');
      const finals = log.filter((l) => l === `tb-a: refresh-info Succeeded (request ${request})` || l === `tb-a: refresh-info Succeeded (request ${request}) [forwarded]`);
      if (finals.length < 1) problems.push(`trial ${t}: no Succeeded status for ${request} in git`);
      await git(world.repo.work, ['fetch', '--quiet', 'origin']);
      const inGit = parse(await git(world.repo.work, ['show', 'origin/main:status/tb-a.yaml']));
      if (inGit.request !== request || inGit.phase !== 'Succeeded') problems.push(`trial ${t}: git holds ${inGit.request}/${inGit.phase}, expected ${request}/Succeeded`);
    }
    const fsck = await execa('git', ['-C', world.repo.bare, 'fsck', '--strict'], { reject: false, all: true });
    if (fsck.exitCode !== 0) problems.push(`git fsck: ${fsck.all}`);
    await report(
      'crash-status-push',
      `crash trials: agent killed with SIGKILL while reporting its status (a run takes ~${agentMs} ms)`,
      ['TRIALS', 'KILLED BEFORE CONFIG REMOVAL (RE-BOOTED)', 'FORWARDED BY RECONCILER', 'FINAL STATUS IN GIT', 'REPO FSCK', 'LOST RESULTS'],
      [[String(trials), String(killedBeforeRemoval), String(forwarded), String(trials - problems.filter((p) => /no Succeeded|git holds/.test(p)).length), fsck.exitCode === 0 ? 'clean' : 'BROKEN', String(problems.filter((p) => /no Succeeded|git holds/.test(p)).length)]],
      { trials, agentMs, killedBeforeRemoval, forwarded, problems },
    );
    for (const p of problems.slice(0, 20)) process.stdout.write(`  FAIL ${p}\n`);
    return { failures: problems.length };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

