import { basename } from 'node:path';
import type { Diagnostic } from '../lib/errors.js';
import type { Site, Testbox, TestboxNote, TestboxStatus } from '../schema/types.js';
import type { ParsedFile } from './parse-file.js';

/** Parsed files of one revision, before the cross-file rules. */
export interface FleetFiles {
  site: ParsedFile<Site> | undefined;
  boxes: ParsedFile<Testbox>[];
  statuses: ParsedFile<TestboxStatus>[];
  notes: ParsedFile<TestboxNote>[];
}

/** What survives the cross-file rules, plus the findings. */
export interface CheckedFleet {
  boxes: Testbox[];
  statuses: Map<string, TestboxStatus>;
  notes: Map<string, TestboxNote>;
  diagnostics: Diagnostic[];
}

/**
 * The rules no single schema can express: `name` equals the file name, IPs and names are
 * unique, a box does not take the storage server's or gateway's address, a restore `source`
 * names an existing box, and status and note files belong to a box of the same name.
 */
export function checkFleet(files: FleetFiles): CheckedFleet {
  const out: Diagnostic[] = [];
  const err = (f: ParsedFile<unknown>, key: string, message: string, rule: string, severity: Diagnostic['severity'] = 'error') => {
    const p = f.position(key);
    out.push({ file: f.file, line: p.line, col: p.col, message, rule, severity });
  };
  const boxes: Testbox[] = [];
  const byIp = new Map<string, ParsedFile<Testbox>>();
  const byName = new Map<string, ParsedFile<Testbox>>();
  const site = files.site?.value;
  for (const f of files.boxes) {
    const box = f.value;
    if (!box) continue;
    const stem = basename(f.file, '.yaml');
    let ok = true;
    if (box.name !== stem) {
      err(f, 'name', `name '${box.name}' must equal the file name '${stem}' (rename the file or fix the name)`, 'name-mismatch');
      ok = false;
    }
    const sameName = byName.get(box.name);
    if (sameName) {
      err(f, 'name', `duplicate name '${box.name}': also in ${sameName.file}`, 'duplicate-name');
      err(sameName, 'name', `duplicate name '${box.name}': also in ${f.file}`, 'duplicate-name');
      ok = false;
    } else byName.set(box.name, f);
    const sameIp = byIp.get(box.ip);
    if (sameIp) {
      err(f, 'ip', `duplicate ip ${box.ip}: also used by ${sameIp.file}`, 'duplicate-ip');
      err(sameIp, 'ip', `duplicate ip ${box.ip}: also used by ${f.file}`, 'duplicate-ip');
      ok = false;
    } else byIp.set(box.ip, f);
    if (site && (box.ip === site.boot.nfsServer || box.ip === site.boot.gateway)) {
      err(f, 'ip', `ip ${box.ip} is the site's ${box.ip === site.boot.nfsServer ? 'boot.nfsServer' : 'boot.gateway'}`, 'reserved-ip');
      ok = false;
    }
    if (ok) boxes.push(box);
  }
  const names = new Set(files.boxes.map((f) => f.value?.name).filter(Boolean));
  for (const f of files.boxes) {
    const source = f.value?.source;
    if (!source) continue;
    const name = source.split('@')[0]!;
    if (!names.has(name)) err(f, 'source', `source '${source}' names no testbox (there is no testboxes/${name}.yaml)`, 'unknown-source');
    else if (f.value!.action !== 'restore') err(f, 'source', `source is only used by action: restore (this box asks for ${f.value!.action})`, 'unused-source', 'warning');
  }
  const statuses = ownFiles(files.statuses, names, 'status', err);
  const notes = ownFiles(files.notes, names, 'note', err);
  // A box that failed a cross rule must not be acted on, and neither may its twin.
  const bad = new Set(out.filter((d) => d.severity === 'error').map((d) => d.file));
  const kept = boxes.filter((b) => !bad.has(`testboxes/${b.name}.yaml`));
  return { boxes: kept.sort((a, b) => a.name.localeCompare(b.name)), statuses, notes, diagnostics: out };
}

function ownFiles<T extends { name: string }>(
  files: ParsedFile<T>[],
  boxNames: Set<string | undefined>,
  what: string,
  err: (f: ParsedFile<unknown>, key: string, message: string, rule: string, severity?: Diagnostic['severity']) => void,
): Map<string, T> {
  const map = new Map<string, T>();
  for (const f of files) {
    const v = f.value;
    if (!v) continue;
    const stem = basename(f.file, '.yaml');
    if (v.name !== stem) {
      err(f, 'name', `name '${v.name}' must equal the file name '${stem}'`, 'name-mismatch');
      continue;
    }
    if (!boxNames.has(v.name)) err(f, 'name', `${what} for '${v.name}', which has no testboxes/${v.name}.yaml (kept for history)`, 'orphan', 'warning');
    map.set(v.name, v);
  }
  return map;
}
