import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

/** A `git daemon` serving the repos under a directory, pushes allowed. */
export interface GitDaemon {
  port: number;
  /** The URL a QEMU user-network guest uses: the host's loopback is 10.0.2.2 there. */
  guestUrl(repo: string): string;
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Start `git daemon` on 127.0.0.1 for every repo under `baseDir` with receive-pack on, so
 * agents can push their status commits. `wrap` runs it elsewhere (e.g. `ip netns exec`).
 */
export async function startGitDaemon(baseDir: string, options: { listen?: string; guestHost?: string; wrap?: string[] } = {}): Promise<GitDaemon> {
  const port = await freePort();
  const listen = options.listen ?? '127.0.0.1';
  // git-daemon itself, not `git daemon`: the git dispatcher would fork it, and killing the
  // dispatcher would leave the daemon running. pdeathsig: it dies with this process too.
  const daemon = join((await execa('git', ['--exec-path'])).stdout.trim(), 'git-daemon');
  const args = ['--pdeathsig', 'KILL', daemon, '--reuseaddr', '--export-all', '--enable=receive-pack', '--informative-errors', `--base-path=${baseDir}`, `--listen=${listen}`, `--port=${port}`, baseDir];
  const [cmd, ...pre] = [...(options.wrap ?? []), 'setpriv'];
  const child: ResultPromise = execa(cmd!, [...pre, ...args], { reject: false, stdio: 'ignore', cleanup: true, env: { GIT_CONFIG_NOSYSTEM: '1' } });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill('SIGKILL');
    await child;
  };
  try {
    await waitForPort(options.wrap ? undefined : listen, port, 10_000, options.wrap);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, guestUrl: (repo) => `git://${options.guestHost ?? '10.0.2.2'}:${port}/${repo}`, stop };
}

async function waitForPort(host: string | undefined, port: number, ms: number, wrap?: string[]): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const up = wrap
      ? (await execa(wrap[0]!, [...wrap.slice(1), 'sh', '-c', `ss -ltn | grep -q ':${port} '`], { reject: false })).exitCode === 0
      : await new Promise<boolean>((resolve) => {
          const c = connect(port, host!, () => (c.end(), resolve(true)));
          c.once('error', () => resolve(false));
        });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`git daemon did not listen on port ${port} within ${ms} ms`);
}
