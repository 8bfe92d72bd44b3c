import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

test('git failures say whether a retry can help: no such branch or repo -> what to fix; unreachable -> transient', async (t) => {
  const root = await tempDir(t);
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/a.yaml': box('a', '10.0.0.5') });
  const shares = await makeShares(root, { withDefault: true });
  const plan = (fleet: string, ...more: string[]) => runTbx(['reconcile', '--fleet', fleet, '--tftp', shares.tftp, '--backup', shares.backup, '--state-dir', shares.state, ...more]);

  const branch = await plan(repo.bare, '--branch', 'mian');
  assert.equal(branch.exitCode, 1, branch.all);
  assert.match(branch.stderr, /Remote branch mian not found.*; that branch does not exist in the fleet repo; pass --branch \(or TBX_BRANCH\)/);
  assert.doesNotMatch(branch.stderr, /transient/);

  const missing = await plan(`${root}/no-such-repo.git`);
  assert.equal(missing.exitCode, 1, missing.all);
  assert.match(missing.stderr, /does not exist; there is no git repository at that address; check --fleet/);
  assert.doesNotMatch(missing.stderr, /transient/);

  const down = await plan(`git://127.0.0.1:${await closedPort()}/fleet.git`);
  assert.equal(down.exitCode, 1, down.all);
  assert.match(down.stderr, /cannot fetch fleet repo git:\/\/127\.0\.0\.1:\d+\/fleet\.git: .*\(transient: the next run may succeed\)/);
});
