import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashTree } from '../../test/helpers/tree.js';
import { pool, report } from '../lib/report.js';
import { makeWorld, pushRevision, tbx, type World } from '../lib/world.js';
import { boxYaml, SITE, type BadCase } from './case.js';
import { corpus } from './corpus.js';

/** The valid base every case mutates: one restore under way (config + image), one backup-again, one idle box. */
const BASE = {
  'fleet.yaml': SITE,
  'testboxes/tb-01.yaml': boxYaml('tb-01', '10.165.98.220', 'action: restore\nrequest: r1\n'),
  'testboxes/tb-02.yaml': boxYaml('tb-02', '10.165.98.222'),
  'testboxes/tb-03.yaml': boxYaml('tb-03', '10.165.98.221', 'action: backup-again\nrequest: b2\ndisks: [sda]\n'),
};

interface Outcome {
  kind: string;
  name: string;
  exitCode: number | null;
  named: boolean;
  changed: string[];
  firstError: string;
}

/**
 * Bad input: every malformed revision must make `tbx reconcile` exit 1, name the file and the
 * reason, and leave every file on the TFTP and backup shares as it was (hashed before and
 * after). Two workers, each with its own site, run the corpus in parallel.
 */
export async function runBadInput(options: { workers?: number } = {}): Promise<{ cases: number; failures: number }> {
  const cases = corpus();
  const root = await mkdtemp(join(tmpdir(), 'tbx-torture-input-'));
  try {
    const workers = options.workers ?? 2;
    const worlds: World[] = [];
    for (let i = 0; i < workers; i++) {
      const dir = join(root, `w${i}`);
      await mkdir(dir);
      const w = await makeWorld(dir, BASE);
      await mkdir(join(w.shares.backup, '10.165.98.220'), { recursive: true });
      await import('node:fs/promises').then((fs) => fs.writeFile(join(w.shares.backup, '10.165.98.220', 'sda.gz'), 'an image'));
      const first = await tbx(w, ['reconcile']);
      if (first.exitCode !== 0) throw new Error(`base revision does not reconcile: ${first.all}`);
      worlds.push(w);
    }
    const outcomes = await pool(cases, workers, (c, i) => runCase(worlds[i]!, c));
    const byKind = new Map<string, Outcome[]>();
    for (const o of outcomes) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
    const rows = [...byKind].map(([kind, os]) => [kind, String(os.length), String(os.filter((o) => o.exitCode === 1).length), String(os.filter((o) => o.named).length), String(os.reduce((n, o) => n + o.changed.length, 0))]);
    const total = (pred: (o: Outcome) => boolean) => String(outcomes.filter(pred).length);
    rows.push(['TOTAL', String(outcomes.length), total((o) => o.exitCode === 1), total((o) => o.named), String(outcomes.reduce((n, o) => n + o.changed.length, 0))]);
    const bad = outcomes.filter((o) => o.exitCode !== 1 || !o.named || o.changed.length);
    await report('bad-input', `bad input: ${outcomes.length} malformed fleet revisions through tbx reconcile`, ['KIND', 'CASES', 'EXIT 1', 'NAMED FILE+REASON', 'FILES CHANGED'], rows, { outcomes });
    for (const o of bad) process.stdout.write(`  FAIL ${o.kind} / ${o.name}: exit ${o.exitCode}, named ${o.named}, changed ${o.changed.join(', ') || 'nothing'}; first error: ${o.firstError}\n`);
    return { cases: outcomes.length, failures: bad.length };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function runCase(world: World, c: BadCase): Promise<Outcome> {
  const before = { tftp: await hashTree(world.shares.tftp), backup: await hashTree(world.shares.backup) };
  await pushRevision(world, c.files, c.links ?? {}, `torture: ${c.name}`);
  const r = await tbx(world, ['reconcile']);
  const after = { tftp: await hashTree(world.shares.tftp), backup: await hashTree(world.shares.backup) };
  const changed = [...diff(before.tftp, after.tftp).map((f) => `tftp/${f}`), ...diff(before.backup, after.backup).map((f) => `backup/${f}`)];
  const lines = r.stderr.split('\n');
  const named = lines.some((l) => l.startsWith(`${c.file}:`) && /:\d+:\d+: error: /.test(l) && c.reason.test(l));
  return { kind: c.kind, name: c.name, exitCode: r.exitCode ?? null, named, changed, firstError: lines.find((l) => / error: /.test(l))?.slice(0, 200) ?? lines[0]?.slice(0, 200) ?? '' };
}

function diff(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();
}
