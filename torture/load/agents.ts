import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { tbxBin } from '../../lib/package-root.js';
import { agentArgs, bootBox, makeAgentBox, type AgentBox } from '../../test/helpers/agent-box.js';
import { git } from '../../test/helpers/git.js';
import { pool, report } from '../lib/report.js';
import { makeWorld, tbx } from '../lib/world.js';

const SITE = { apiVersion: 'tbx/v1', kind: 'Site', boot: { nfsServer: '10.165.98.101', gateway: '10.165.98.1', netmask: '255.255.254.0' }, policy: { maxConcurrent: 1000 } };
const ip = (i: number) => `10.2.${Math.floor(i / 200)}.${(i % 200) + 1}`;
const name = (i: number) => `tb-${String(i).padStart(3, '0')}`;

/**
 * Load: `n` agents (real processes) report their statuses to one bare repo at the same moment
 * while the reconciler keeps running passes (each must succeed), then one more pass. Every
 * status must land in git, pushed by its agent or spooled and forwarded; none may be lost.
 * Prints the push attempts the agents needed, the wall time, and the passes' count and latency.
 */
export async function runAgentLoad(n: number): Promise<{ failures: number }> {
  const root = await mkdtemp(join(tmpdir(), 'tbx-torture-load-'));
  try {
    const files: Record<string, string> = { 'fleet.yaml': stringify(SITE) };
    for (let i = 0; i < n; i++) files[`testboxes/${name(i)}.yaml`] = stringify({ apiVersion: 'tbx/v1', kind: 'Testbox', name: name(i), ip: ip(i), action: 'refresh-info', request: 'load-1' });
    const world = await makeWorld(root, files);
    if ((await tbx(world, ['reconcile'])).exitCode !== 0) throw new Error('first pass failed');
    const boxes: AgentBox[] = await pool(Array.from({ length: n }, (_, i) => i), 8, async (i) => {
      const b = await makeAgentBox(root, name(i), ip(i), { sda: 1 });
      if (!(await bootBox(b, world.shares))) throw new Error(`no PXE config for ${name(i)} after the first pass`);
      return b;
    });
    // The reconciler keeps passing while the agents push.
    let stop = false;
    const passes: number[] = [];
    const failedPasses: string[] = [];
    const passing = (async () => {
      while (!stop) {
        const t0 = Date.now();
        const r = await tbx(world, ['reconcile', '--lock-wait', '120']);
        if (r.exitCode === 0) passes.push(Date.now() - t0);
        else failedPasses.push(`exit ${r.exitCode}: ${r.all.slice(-200)}`);
      }
    })();
    const started = Date.now();
    const results = await Promise.all(
      boxes.map((b) => execa(process.execPath, [tbxBin(), ...agentArgs(b, world.shares, ['--fleet', world.repo.bare])], { reject: false, all: true, env: { TBX_LOG_LEVEL: 'warn', TBX_CONFIG: '' } })),
    );
    const wall = Date.now() - started;
    stop = true;
    await passing;
    // An agent that kept losing push races until its deadline leaves its status spooled on the
    // share (exit 0); the reconciler's next pass forwards it, as its timer would after the rush.
    const settle = await tbx(world, ['reconcile', '--lock-wait', '120']);
    if (settle.exitCode !== 0) failedPasses.push(`after the load: exit ${settle.exitCode}: ${settle.all.slice(-200)}`);
    const attempts = results.map((r) => Number(/after (\d+) push attempt/.exec(r.all ?? '')?.[1] ?? NaN));
    const ok = results.filter((r) => r.exitCode === 0).length;
    const log = (await git(world.repo.bare, ['log', '--format=%s', 'main'])).split('\n');
    const pushed = boxes.filter((_, i) => log.includes(`${name(i)}: refresh-info Succeeded (request load-1)`)).length;
    const forwarded = boxes.filter((_, i) => log.includes(`${name(i)}: refresh-info Succeeded (request load-1) [forwarded]`)).length;
    const landed = boxes.filter((_, i) => log.some((l) => l.startsWith(`${name(i)}: refresh-info Succeeded (request load-1)`))).length;
    const lost = n - landed;
    const sorted = [...attempts].filter(Number.isFinite).sort((a, b) => a - b);
    const pSorted = [...passes].sort((a, b) => a - b);
    const q = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : NaN);
    await report(
      'load-agents',
      `load: ${n} agents push their statuses to one bare repo at once, while the reconciler runs passes`,
      ['AGENTS', 'EXIT 0', 'PUSHED BY THE AGENT', 'SPOOLED, FORWARDED BY THE RECONCILER', 'LOST', 'PUSH ATTEMPTS median/p95/max', 'WALL s', 'PASSES DURING LOAD', 'FAILED PASSES', 'PASS LATENCY median/max ms'],
      [[String(n), String(ok), String(pushed), String(forwarded), String(lost), `${q(sorted, 0.5)}/${q(sorted, 0.95)}/${sorted.at(-1)}`, (wall / 1000).toFixed(1), String(passes.length), String(failedPasses.length), `${q(pSorted, 0.5)}/${pSorted.at(-1) ?? NaN}`]],
      { n, ok, pushed, forwarded, landed, lost, attempts, wallMs: wall, passes, failedPasses },
    );
    for (const [i, r] of results.entries()) if (r.exitCode !== 0) process.stdout.write(`  FAIL ${name(i)}: exit ${r.exitCode}: ${(r.all ?? '').slice(-200)}\n`);
    for (const f of failedPasses.slice(0, 5)) process.stdout.write(`  FAIL reconcile pass during load: ${f}\n`);
    // The proof needs the reconciler to have passed while the agents pushed, not only before or after.
    if (passes.length === 0) process.stdout.write('  FAIL no reconcile pass completed while the agents pushed\n');
    return { failures: lost + (n - ok) + failedPasses.length + (passes.length === 0 ? 1 : 0) };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
