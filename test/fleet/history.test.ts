import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boxHistory } from '../../fleet/history.js';
import { ADMIN, REVIEWER } from '../helpers/git.js';
import { box, makeFleetRepo, seedSite } from '../helpers/fleet-repo.js';
import { tempDir } from '../helpers/tmp.js';

const statusDoc = (request: string, phase: string, attempt = 1) => ({ apiVersion: 'tbx/v1', kind: 'TestboxStatus', name: 'a', ip: '10.0.0.5', request, action: 'restore', attempt, phase, startedAt: '2026-11-24T10:00:00Z', finishedAt: '2026-11-24T10:05:00Z' });

describe('boxHistory', () => {
  test('who asked, who merged (PR number), and every result of each request', async (t) => {
    const repo = await makeFleetRepo(await tempDir(t), { 'fleet.yaml': seedSite(), 'testboxes/a.yaml': box('a', '10.0.0.5') });
    await repo.mergePr(7, { 'testboxes/a.yaml': box('a', '10.0.0.5', { action: 'restore', request: 'r1' }) }, 'a: restore please');
    await repo.commit({ 'status/a.yaml': statusDoc('r1', 'Failed', 1) }, 'a: restore Failed (request r1)', { name: 'tbx agent (a)', email: 'agent@a' });
    await repo.commit({ 'status/a.yaml': statusDoc('r1', 'Succeeded', 2) }, 'a: restore Succeeded (request r1)', { name: 'tbx agent (a)', email: 'agent@a' });
    await repo.commit({ 'testboxes/a.yaml': box('a', '10.0.0.5', { action: 'restore', request: 'r2' }) }, 'a: again, pushed directly');
    const h = await boxHistory(repo.work, 'a');
    assert.deepEqual(h.map((r) => r.request), ['r1', 'r2']);
    assert.equal(h[0]!.asked.author, ADMIN.name);
    assert.equal(h[0]!.asked.subject, 'a: restore please');
    assert.equal(h[0]!.merged?.author, REVIEWER.name);
    assert.equal(h[0]!.merged?.pr, '#7');
    assert.deepEqual(h[0]!.results.map((r) => `${r.status.attempt}:${r.status.phase}`), ['1:Failed', '2:Succeeded']);
    assert.equal(h[1]!.merged, null, 'a direct push has no merge commit');
    assert.deepEqual(h[1]!.results, []);
  });
});
