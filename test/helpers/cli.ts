import { execa, type Result } from 'execa';
import { tbxBin } from '../../lib/package-root.js';

/** Run the real `tbx` CLI as a child process (in `options.cwd`, default this process's); never throws on a non-zero exit. */
export async function runTbx(args: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}): Promise<Result<{ reject: false; all: true }>> {
  return execa(process.execPath, [tbxBin(), ...args], {
    reject: false,
    all: true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { TBX_LOG_LEVEL: 'warn', TBX_LOG_FORMAT: 'json', TBX_FLEET: '', TBX_TFTP_ROOT: '', TBX_BACKUP_ROOT: '', TBX_CONFIG: '', ...env },
  });
}
