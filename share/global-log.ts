import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GLOBAL_LOG } from './layout.js';

/** One line of the backup share's global maintenance.log, as the agents (and the seed's script) write it. */
export interface AgentLogLine {
  time: string;
  ip: string;
  level: 'info' | 'error' | 'hello';
  text: string;
}

/**
 * Read `<backup>/maintenance.log`: `<ISO time>: <ip>: info|error: <text>` lines and the
 * session's `<ISO time>: <ip>: <host> says hi.` line. Anything else is skipped.
 */
export async function readGlobalLog(backupRoot: string): Promise<AgentLogLine[]> {
  const text = await readFile(join(backupRoot, GLOBAL_LOG), 'utf8').catch(() => '');
  const out: AgentLogLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\dT[\d:]+(?:[+-]\d\d:\d\d|Z)): (\d+\.\d+\.\d+\.\d+): (?:(info|error): (.*)|(.*) says hi\.)$/.exec(line);
    if (!m) continue;
    if (m[3]) out.push({ time: new Date(m[1]!).toISOString(), ip: m[2]!, level: m[3] as 'info' | 'error', text: m[4]! });
    else out.push({ time: new Date(m[1]!).toISOString(), ip: m[2]!, level: 'hello', text: `${m[5]} booted the maintenance image` });
  }
  return out;
}
