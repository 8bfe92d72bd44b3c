import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

test('logs on a pipe -> JSON lines from pino (pretty only on a terminal or with TBX_LOG_FORMAT=pretty)', async (t) => {
  const root = await tempDir(t);
  const shares = await makeShares(root, { withDefault: true });
  const repo = await makeFleetRepo(root, { 'fleet.yaml': seedSite(), 'testboxes/tb-a.yaml': box('tb-a', '10.165.98.230') });
  const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state, TBX_LOG_LEVEL: 'info', TBX_LOG_FORMAT: '' };
  const r = await runTbx(['reconcile'], env);
  assert.equal(r.exitCode, 0, r.all);
  const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string; outcome?: string });
  assert.ok(lines.some((l) => l.msg === 'pass complete' && l.outcome === 'applied' && l.level === 30));
  const pretty = await runTbx(['reconcile'], { ...env, TBX_LOG_FORMAT: 'pretty', NO_COLOR: '1' });
  assert.match(pretty.stderr, /^\[\d\d:\d\d:\d\d\] INFO: pass complete outcome=applied/m);
  assert.doesNotMatch(pretty.stderr, /\u001b\[/);
});
