import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { tbxBin } from '../../lib/package-root.js';
import { agentArgs, makeAgentBox, requestAction } from '../helpers/agent-box.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

const root = process.getuid?.() === 0;

for (const format of ['chunked', 'gzip'] as const) {
  test(`${format}: the backup share fills up mid-backup -> 19 naming the share and the file, not a bare errno`, { skip: root ? false : 'needs root for a private mount namespace (CI runs as root)' }, async (t) => {
    const dir = await tempDir(t);
    const shares = await makeShares(dir, { withDefault: true });
    const box = await makeAgentBox(dir, 'tb-a', '10.0.0.10', { sda: 16 });
    await execa('dd', ['if=/dev/urandom', `of=${box.disk('sda')}`, 'bs=1M', 'count=16', 'conv=notrunc', 'status=none']);
    await requestAction(box, shares, 'backup', 'r1', format);
    // A 2 MiB share in a mount namespace of the agent's own: 16 MiB of random data cannot fit.
    const mount = `mount -t tmpfs -o size=2m tmpfs '${shares.backup}' && touch '${shares.backup}/testbox-backup'`;
    const r = await execa('unshare', ['-m', 'sh', '-c', `${mount} && exec "$0" "$@"`, process.execPath, tbxBin(), ...agentArgs(box, shares)], { reject: false, all: true, env: { TBX_LOG_LEVEL: 'warn', TBX_CONFIG: '' } });
    assert.equal(r.exitCode, 19, r.all);
    assert.match(r.all, /There was a problem backing up \/dev\/sda: the backup share is full: \S+ .*nothing was committed, the previous image is intact/);
  });
}
