import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { tbxBin } from '../../lib/package-root.js';
import { renderBoxConfig } from '../../pxe/render.js';
import { TEMP_FILE } from '../../lib/atomic-write.js';
import { hexIp } from '../../lib/hex-ip.js';
import { site as builtSite } from '../../test/helpers/builders.js';
import { startReader } from '../lib/pxe-reader.js';
import { report } from '../lib/report.js';
import { makeWorld, pushRevision, type World } from '../lib/world.js';

const BOXES = 150;
const ip = (i: number) => `10.1.${Math.floor(i / 200)}.${(i % 200) + 1}`;
const name = (i: number) => `tb-${String(i).padStart(3, '0')}`;
const SITE = { apiVersion: 'tbx/v1', kind: 'Site', boot: { nfsServer: '10.165.98.101', gateway: '10.165.98.1', netmask: '255.255.254.0' }, policy: { maxConcurrent: 1000 } };

function revision(trial: number): Record<string, string> {
  const on = trial % 2 === 0;
  const files: Record<string, string> = {};
  for (let i = 0; i < BOXES; i++) files[`testboxes/${name(i)}.yaml`] = stringify({ apiVersion: 'tbx/v1', kind: 'Testbox', name: name(i), ip: ip(i), ...(on ? { action: 'refresh-info', request: `r${trial}` } : {}) });
  return files;
}

/** What the TFTP tree must hold once a pass for `trial` completed: every box's config, or none. */
function expected(trial: number): Map<string, string> {
  const s = builtSite();
  const out = new Map<string, string>();
  if (trial % 2 !== 0) return out;
  for (let i = 0; i < BOXES; i++) out.set(hexIp(ip(i)), renderBoxConfig(s, { name: name(i), ip: ip(i), action: 'refresh-info', request: `r${trial}` }));
  return out;
}

/**
 * Crash trials of a reconcile pass: each trial pushes a revision that flips 150 boxes between
 * "requested" and "idle", starts `tbx reconcile`, kills it with SIGKILL at a random moment,
 * then runs a pass to completion and checks the TFTP tree is exactly what the revision asks
 * for, with no temp file left. A concurrent reader checks every config it ever sees is whole.
 */
export async function runReconcileCrashes(trials: number): Promise<{ failures: number }> {
  const root = await mkdtemp(join(tmpdir(), 'tbx-torture-reconcile-'));
  try {
    const world = await makeWorld(root, { 'fleet.yaml': stringify(SITE), ...revision(1) });
    const first = await pass(world);
    if (first.exitCode !== 0) throw new Error(`base pass failed: ${first.all}`);
    const timing = Date.now();
    await pushRevision(world, revision(0));
    await pass(world);
    const passMs = Date.now() - timing;
    const reader = startReader(world.shares.cfg);
    let killedMidPass = 0;
    let leftoversSwept = 0;
    const problems: string[] = [];
    for (let t = 2; t < trials + 2; t++) {
      await pushRevision(world, revision(t), {}, `trial ${t}`);
      const child = execa(process.execPath, [tbxBin(), 'reconcile'], { env: world.env, reject: false });
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * passMs)));
      child.kill('SIGKILL');
      const killed = await child;
      if (killed.signal === 'SIGKILL') killedMidPass++;
      leftoversSwept += (await readdir(world.shares.cfg)).filter((n) => TEMP_FILE.test(n)).length;
      const recovery = await pass(world);
      if (recovery.exitCode !== 0) problems.push(`trial ${t}: recovery pass exit ${recovery.exitCode}: ${recovery.all.slice(-300)}`);
      problems.push(...(await verify(world, expected(t))).map((p) => `trial ${t}: ${p}`));
    }
    const seen = await reader.stop();
    const failures = problems.length + seen.partial.length;
    await report(
      'crash-reconcile',
      `crash trials: reconcile pass of ${BOXES} boxes killed with SIGKILL at a random point (pass takes ~${passMs} ms)`,
      ['TRIALS', 'KILLED MID-PASS', 'TEMP FILES LEFT BY KILLS', 'RECOVERY PASSES OK', 'TREES EXACT', 'READER READS', 'PARTIAL FILES SEEN', 'TEMP FILES AFTER RECOVERY'],
      [[String(trials), String(killedMidPass), String(leftoversSwept), String(trials - problems.filter((p) => /recovery/.test(p)).length), String(trials - new Set(problems.map((p) => p.split(':')[0])).size), String(seen.reads), String(seen.partial.length), String(problems.filter((p) => /temp file/.test(p)).length)]],
      { trials, killedMidPass, leftoversSwept, passMs, problems, reader: seen },
    );
    for (const p of [...problems, ...seen.partial].slice(0, 20)) process.stdout.write(`  FAIL ${p}\n`);
    return { failures };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function pass(world: World) {
  return execa(process.execPath, [tbxBin(), 'reconcile', '--lock-wait', '60'], { env: world.env, reject: false, all: true });
}

async function verify(world: World, want: Map<string, string>): Promise<string[]> {
  const problems: string[] = [];
  const names = (await readdir(world.shares.cfg)).filter((n) => n !== 'default');
  for (const n of names) {
    if (!want.has(n)) problems.push(n.startsWith('.') ? `temp file ${n} left behind` : `unexpected config ${n}`);
    else if ((await readFile(join(world.shares.cfg, n), 'utf8')) !== want.get(n)) problems.push(`config ${n} differs from what the revision asks for`);
  }
  for (const n of want.keys()) if (!names.includes(n)) problems.push(`missing config ${n}`);
  return problems;
}
