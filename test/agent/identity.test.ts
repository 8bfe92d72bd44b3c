import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { test, type TestContext } from 'node:test';
import { execa } from 'execa';
import { tbxBin } from '../../lib/package-root.js';
import { agentArgs, makeAgentBox, requestAction } from '../helpers/agent-box.js';
import { makeShares } from '../helpers/shares.js';
import { tempDir } from '../helpers/tmp.js';

// The agent reads the machine's own addresses; a private network namespace gives it exactly
// the ones each case needs (root, as in CI and on the maintenance image).
const root = process.getuid?.() === 0;

/** Run the real agent in a new network namespace whose only non-loopback addresses are `addrs`. */
async function agentWithAddresses(t: TestContext, addrs: string[], kernelIp: 'static' | 'dhcp') {
  const dir = await tempDir(t);
  const shares = await makeShares(dir, { withDefault: true });
  const box = await makeAgentBox(dir, 'tb-a', '10.0.0.10');
  await requestAction(box, shares, 'refresh-info', 'r1', 'gzip');
  if (kernelIp === 'dhcp') await writeFile(box.cmdline, (await readFile(box.cmdline, 'utf8')).replace(/ ip=\S+/, ' ip=dhcp'));
  const args = agentArgs(box, shares);
  args.splice(args.indexOf('--ip'), 2);
  const setup = ['ip link set lo up', ...(addrs.length ? ['ip link add v0 type veth peer name v1', ...addrs.map((a) => `ip addr add ${a}/24 dev v0`), 'ip link set v0 up', 'ip link set v1 up'] : [])];
  return execa('unshare', ['-n', 'sh', '-c', `${setup.join(' && ')} && exec "$0" "$@"`, process.execPath, tbxBin(), ...args], { reject: false, all: true, env: { TBX_LOG_LEVEL: 'warn', TBX_CONFIG: '' } });
}

const cases: { name: string; addrs: string[]; kernelIp: 'static' | 'dhcp'; code: number; says: RegExp }[] = [
  { name: 'only loopback -> 10 (no address to tell which box this is)', addrs: [], kernelIp: 'dhcp', code: 10, says: /Failed to get a good IP! \(MY_IP=\)/ },
  { name: 'two addresses and ip=dhcp -> 10 naming both (either could be another box)', addrs: ['10.0.0.10', '10.0.0.11'], kernelIp: 'dhcp', code: 10, says: /Failed to get a good IP! \(MY_IP=10\.0\.0\.10 10\.0\.0\.11\)/ },
  { name: 'two addresses and a static ip= naming one -> that one', addrs: ['10.0.0.11', '10.0.0.10'], kernelIp: 'static', code: 0, says: /MY_IP=10\.0\.0\.10<eol>/ },
  { name: 'one address -> it', addrs: ['10.0.0.10'], kernelIp: 'dhcp', code: 0, says: /MY_IP=10\.0\.0\.10<eol>/ },
];

for (const c of cases) {
  test(`box address: ${c.name}`, { skip: root ? false : 'needs root for a private network namespace (CI runs as root)' }, async (t) => {
    const r = await agentWithAddresses(t, c.addrs, c.kernelIp);
    assert.equal(r.exitCode, c.code, r.all);
    assert.match(r.all, c.says);
  });
}
