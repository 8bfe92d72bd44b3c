import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { packageRoot } from '../../lib/package-root.js';
import { redactSecrets, secretValues } from '../../lib/redact.js';
import { runTbx } from '../helpers/cli.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { git } from '../helpers/git.js';
import { hookServer } from '../helpers/http.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = (name: string) => join(packageRoot(), 'test', 'fixtures', name);
const SECRET = 'Zq7-hunter2-bmc-Xk9';
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** Everything tbx wrote that a person or another system may read: git (files and messages), the decision log. */
async function everythingKept(bare: string, backup: string): Promise<string> {
  const history = await git(bare, ['log', '--all', '-p', '--format=%B']);
  const events = await readFile(join(backup, 'tbx-events.jsonl'), 'utf8').catch(() => '');
  return `${history}\n${events}`;
}

describe('power: secrets from the environment never reach logs, git, events or webhooks', () => {
  test('a failing reboot command prints the IPMI password it inherited -> masked in the log, the RebootFailed note and tbx-events.jsonl', async (t) => {
    const root = await tempDir(t);
    const proof = join(root, 'proof');
    const repo = await makeFleetRepo(root, {
      'fleet.yaml': { ...seedSite(), power: { rebootCommand: [process.execPath, fixture('print-env.mjs'), 'IPMI_PASSWORD', '1', proof], retries: 0 } },
      'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }),
    });
    const shares = await makeShares(root, { withDefault: true });
    const r = await runTbx(['reconcile'], { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state, TBX_LOG_LEVEL: 'debug', IPMI_PASSWORD: SECRET });
    assert.equal(r.exitCode, 1, 'the reboot failed');
    assert.equal(await readFile(proof, 'utf8'), SECRET, 'the command inherited the environment');
    assert.match(r.stderr, /BMC session for admin opened with \*\*\*, then refused/, 'the output tail is logged, masked');
    assert.doesNotMatch(r.all, new RegExp(SECRET), 'not in the log');
    const kept = await everythingKept(repo.bare, shares.backup);
    assert.match(kept, /RebootFailed/);
    assert.match(kept, /"op":"reboot","result":"failed"/);
    assert.doesNotMatch(kept, new RegExp(SECRET), 'not in the note, the commit message or tbx-events.jsonl');
  });

  test('a failing checkCommand prints a token -> Unverified with the masked output; not in the log, git, events or the webhook', async (t) => {
    const root = await tempDir(t);
    const proof = join(root, 'proof');
    const hook = await hookServer(t, [200]);
    const repo = await makeFleetRepo(root, {
      'fleet.yaml': { ...seedSite(), power: { checkCommand: [process.execPath, fixture('print-env.mjs'), 'LAB_API_TOKEN', '255', proof], comebackMinutes: 15 } },
      'testboxes/tb-a.yaml': box('tb-a', '10.0.0.10', { action: 'backup', request: 'r1' }),
    });
    const shares = await makeShares(root, { withDefault: true });
    const env = { TBX_FLEET: repo.bare, TBX_TFTP_ROOT: shares.tftp, TBX_BACKUP_ROOT: shares.backup, TBX_STATE_DIR: shares.state, TBX_LOG_LEVEL: 'debug', TBX_WEBHOOK_URL: hook.url, LAB_API_TOKEN: SECRET };
    const first = await runTbx(['reconcile'], env); // records the notification baseline
    assert.equal(first.exitCode, 0, first.all);
    // The agent finished 20 minutes ago (the CLI runs on the real clock): past the 15 min deadline.
    const now = Date.now();
    await repo.commit({ 'status/tb-a.yaml': { apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'tb-a', ip: '10.0.0.10', request: 'r1', action: 'backup', attempt: 1, phase: 'Succeeded', startedAt: iso(now - 25 * 60_000), finishedAt: iso(now - 20 * 60_000) } }, 'tb-a: backup Succeeded (request r1)');
    const r = await runTbx(['reconcile'], env);
    assert.equal(r.exitCode, 0, r.all);
    assert.equal(await readFile(proof, 'utf8'), SECRET, 'the check inherited the environment');
    assert.doesNotMatch(r.all, new RegExp(SECRET), 'not in the log');
    const kept = await everythingKept(repo.bare, shares.backup);
    assert.match(kept, /Unverified/);
    assert.match(kept, /exit code 255 \(debug: credential in use: \*\*\*\)/, 'the reason keeps the last output line, masked');
    assert.doesNotMatch(kept, new RegExp(SECRET));
    assert.deepEqual(hook.got.map((g) => (JSON.parse(g.body) as { type: string }).type).sort(), ['Succeeded', 'Unverified']);
    for (const g of hook.got) assert.doesNotMatch(g.body, new RegExp(SECRET));
  });
});

describe('redactSecrets', () => {
  const env = { IPMI_PASSWORD: 'pw-123456', BMC_TOKEN: 'tok', SSH_KEY_CHECK: 'yes', API_KEY: 'abc-key-abc', PATH: '/usr/bin', LONG_SECRET: 'abc-key-abc-and-more' };
  test('secret-named values masked, longest first; short or yes/no values and other variables kept', () => {
    assert.deepEqual(secretValues(env), ['abc-key-abc-and-more', 'abc-key-abc', 'pw-123456']);
    assert.equal(redactSecrets('login pw-123456 key abc-key-abc-and-more tok yes /usr/bin', env), 'login *** key *** tok yes /usr/bin');
  });
  test('the fixed patterns still apply', () => {
    assert.equal(redactSecrets('https://u:p@host/x password=abc', {}), 'https://***@host/x password=***');
  });
});
