import { basename } from 'node:path';
import type { Diagnostic } from '../lib/errors.js';
import type { Site, Testbox, TestboxNote, TestboxStatus } from '../schema/types.js';
import { unfillable } from '../power/placeholders.js';
import { effectivePower } from '../power/resolve.js';
import { extraArgProblem } from './extra-args.js';
import { windowProblem } from './windows.js';
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
 * names an existing box, status and note files belong to a box of the same name, and
 * `boot.extraArgs` neither overrides tbx's own tokens nor carries a password.
 */
export function checkFleet(files: FleetFiles): CheckedFleet {
  const out: Diagnostic[] = [];
  const err = (f: ParsedFile<unknown>, key: string | (string | number)[], message: string, rule: string, severity: Diagnostic['severity'] = 'error') => {
    const p = f.position(key);
    out.push({ file: f.file, line: p.line, col: p.col, message, rule, severity });
  };
  const boxes: Testbox[] = [];
  const byIp = new Map<string, ParsedFile<Testbox>>();
  const byName = new Map<string, ParsedFile<Testbox>>();
  const site = files.site?.value;
  for (const f of files.boxes) {
    // Uniqueness and naming are checked on every parsed file, even one with schema errors,
    // so a PR sees all its problems at once; only fully valid boxes are acted on.
    const name = typeof f.raw?.name === 'string' ? f.raw.name : undefined;
    const ip = typeof f.raw?.ip === 'string' ? f.raw.ip : undefined;
    const stem = basename(f.file, '.yaml');
    let ok = f.value !== undefined;
    if (name !== undefined && name !== stem) {
      err(f, 'name', `name '${name}' must equal the file name '${stem}' (rename the file or fix the name)`, 'name-mismatch');
      ok = false;
    }
    const sameName = name !== undefined ? byName.get(name) : undefined;
    if (sameName) {
      err(f, 'name', `duplicate name '${name}': also in ${sameName.file}`, 'duplicate-name');
      err(sameName, 'name', `duplicate name '${name}': also in ${f.file}`, 'duplicate-name');
      ok = false;
    } else if (name !== undefined) byName.set(name, f);
    const sameIp = ip !== undefined ? byIp.get(ip) : undefined;
    if (sameIp) {
      err(f, 'ip', `duplicate ip ${ip}: also used by ${sameIp.file}`, 'duplicate-ip');
      err(sameIp, 'ip', `duplicate ip ${ip}: also used by ${f.file}`, 'duplicate-ip');
      ok = false;
    } else if (ip !== undefined) byIp.set(ip, f);
    if (site && ip !== undefined && (ip === site.boot.nfsServer || ip === site.boot.gateway)) {
      err(f, 'ip', `ip ${ip} is the site's ${ip === site.boot.nfsServer ? 'boot.nfsServer' : 'boot.gateway'}`, 'reserved-ip');
      ok = false;
    }
    if (f.value && site) {
      for (const problem of powerProblems(site, f.value)) {
        err(f, f.value.power !== undefined ? 'power' : 'labels', problem, 'power');
        ok = false;
      }
    }
    if (ok && f.value) boxes.push(f.value);
  }
  (site?.boot.extraArgs ?? []).forEach((token, i) => {
    const problem = extraArgProblem(token);
    if (problem) err(files.site!, ['boot', 'extraArgs', i], problem, 'reserved-arg');
  });
  if (site?.power?.check && site.power.checkCommand) err(files.site!, 'power', 'power: set checkCommand or check, not both', 'power');
  for (const w of site?.policy.windows ?? []) {
    const problem = windowProblem(w, site!.policy.timezone);
    if (problem) err(files.site!, 'policy', `policy.windows: ${problem}`, 'window');
  }
  if (site && !validTimezone(site.policy.timezone)) err(files.site!, 'policy', `policy.timezone: unknown time zone '${site.policy.timezone}'`, 'window');
  const names = new Set(files.boxes.map((f) => (typeof f.raw?.name === 'string' ? f.raw.name : undefined)).filter(Boolean));
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

/** Placeholders of the box's effective power commands that cannot be filled, and other power mistakes. */
function powerProblems(site: Site, box: Testbox): string[] {
  if (box.power === 'manual') return [];
  if (typeof box.power === 'object' && box.power.check && box.power.checkCommand) return ['power: set checkCommand or check, not both'];
  const power = effectivePower(site, box);
  const out: string[] = [];
  for (const [field, argv] of [['rebootCommand', power?.rebootCommand], ['checkCommand', power?.checkCommand]] as const) {
    const bad = argv ? unfillable(argv, box.labels ?? {}) : [];
    if (bad.length) out.push(`power.${field} uses ${bad.join(', ')}, which cannot be filled for ${box.name} (add the label or set power on the box)`);
  }
  return out;
}

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
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
