import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTbx } from '../../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../../helpers/fleet-repo.js';
import { makeShares } from '../../helpers/shares.js';
import { tempDir } from '../../helpers/tmp.js';

/** A window that cannot match while the test runs: twelve hours from now, in UTC. */
const closedWindow = () => `* ${(new Date().getUTCHours() + 12) % 24} * * *`;

const cases: { name: string; site: Record<string, unknown>; rows: RegExp[] }[] = [
  {
    name: 'outside every maintenance window -> both requests held, with when the next window opens',
    site: { ...seedSite({ windows: [closedWindow()] }) },
    rows: [/^tb-a +\S+ +backup +r1 +held +backup r1 waits for a maintenance window \(policy\.windows\); the next opens \d{4}-\d\d-\d\dT\d\d:00:00Z$/m, /^tb-b +\S+ +backup +r1 +held +.*maintenance window/m],
  },
  {
    name: 'more requests than policy.maxConcurrent -> the rest queued in a stable order, with their place',
    site: { ...seedSite({ maxConcurrent: 1 }) },
    rows: [/^tb-a +\S+ +backup +r1 +create +/m, /^tb-b +\S+ +backup +r1 +queued +.*policy\.maxConcurrent/m],
  },
  {
    name: 'the whole site suspended (spec.suspend) -> nothing starts, and the plan says why',
    site: { ...seedSite(), spec: { suspend: true } },
    rows: [/^tb-a +\S+ +backup +r1 +suspended +site suspended \(spec\.suspend in fleet\.yaml\); would: create/m, /^tb-b +\S+ +backup +r1 +suspended +/m],
  },
];

for (const c of cases) {
  test(`plan: ${c.name}`, async (t) => {
    const root = await tempDir(t);
    const shares = await makeShares(root, { withDefault: true });
    const repo = await makeFleetRepo(root, {
      'fleet.yaml': c.site,
      'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }),
      'testboxes/tb-b.yaml': box('tb-b', '10.0.0.11', { action: 'backup', request: 'r1' }),
    });
    const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state };
    const plan = await runTbx(['plan'], env);
    assert.ok(plan.exitCode === 0 || plan.exitCode === 2, plan.all);
    for (const row of c.rows) assert.match(plan.stdout, row);
    // Held, queued and suspended boxes get no config from a real pass either.
    const pass = await runTbx(['reconcile'], env);
    assert.equal(pass.exitCode, 0, pass.all);
    const written = (await import('node:fs/promises').then((fs) => fs.readdir(shares.cfg))).filter((f) => f !== 'default');
    assert.deepEqual(written, c.name.includes('maxConcurrent') ? ['0A00000A'] : []);
  });
}
