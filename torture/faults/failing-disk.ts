import { join } from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../../lib/package-root.js';

/** A mounted failing-disk-server: the disk's path, and how to take it away again. */
export interface FailingDisk {
  path: string;
  /** Unmount (lazily, so a mount point still in use goes too) and stop the server. */
  close(): Promise<void>;
}

/**
 * Serve `backing` as `<mountpoint>/<name>` through failing-disk-server.ts (see there): reads
 * at or beyond `failAt` fail with EIO, writes at or beyond `dropWritesAt` are acknowledged and
 * lost. Resolves once the server says it is mounted; a server that exits first is an error,
 * and leaves nothing mounted or running.
 */
export async function mountFailingDisk(mountpoint: string, backing: string, name: string, failAt: number, dropWritesAt?: number): Promise<FailingDisk> {
  const args = [join(packageRoot(), 'dist', 'torture', 'faults', 'failing-disk-server.js'), mountpoint, backing, name, String(failAt), ...(dropWritesAt === undefined ? [] : [String(dropWritesAt)])];
  const server = execa(process.execPath, args, { reject: false, all: true });
  const close = async () => {
    await execa('umount', ['-l', mountpoint], { reject: false });
    server.kill('SIGKILL');
    await server;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      void server.then((r) => reject(new Error(`failing-disk-server exited: ${r.all}`)));
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { path: join(mountpoint, name), close };
}
