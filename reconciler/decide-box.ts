import { hexIp } from '../lib/hex-ip.js';
import type { CheckResult } from '../power/check.js';
import { renderBoxConfig } from '../pxe/render.js';
import { renderDiskList } from '../share/disk-list.js';
import type { Site, Testbox, TestboxNote, TestboxStatus } from '../schema/types.js';
import { durationMs, windowState } from '../fleet/windows.js';
import { comebackStep } from './comeback.js';
import { addCondition, currentConditions } from './notes.js';
import { fingerprint as fingerprintOf, type ObservedBox, type ObservedPxe } from './observe.js';
import type { BoxPlan, Change } from './plan-types.js';
import { rebootChange } from './power-changes.js';
import { requestState, type RequestState } from './request-state.js';

/** A box's decision before the concurrency limit is applied. */
export interface Draft {
  plan: BoxPlan;
  /** The box holds a maintenance slot (its config exists and stays). */
  holdsSlot: boolean;
  /** The box's comeback check is still pending. */
  awaitingComeback?: boolean;
  /** The box needs a new config and waits for a slot; `content` is what to write, then `reboot`. */
  candidate?: { content: string; reboot?: Change };
}

/** Everything decideBox looks at for one box. */
export interface BoxInputs {
  box: Testbox;
  site: Site;
  status: TestboxStatus | undefined;
  note: TestboxNote | undefined;
  share: ObservedBox | undefined;
  pxe: ObservedPxe | undefined;
  /** This pass's comeback check of the box, when it awaits one. */
  comeback?: CheckResult;
  /** When the shares were observed (ISO-8601): time enters as data, never read here. */
  now: string;
  /** restore with `source:`: the source box, resolved to its IP, and what its share holds. */
  source?: SourceBox;
}

/** The box a restore takes its image from. */
export interface SourceBox {
  name: string;
  ip: string;
  generation?: number;
  share: ObservedBox | undefined;
}

/**
 * Pure: decide what one box needs, in a fixed order of early exits (suspended, no action,
 * done, stalled or failed, timed out), then whether a pending request keeps, replaces or
 * needs a config, and whether a maintenance window allows starting it now.
 */
export function decideBox(input: BoxInputs): Draft {
  const { box, site, pxe } = input;
  const hex = hexIp(box.ip);
  const plan: BoxPlan = { name: box.name, ip: box.ip, hex, action: box.action, request: box.request ?? null, outcome: 'noop', reason: '', phase: null, attempt: null, changes: [] };
  const done = (outcome: BoxPlan['outcome'], reason: string, holdsSlot = false): Draft => ({ plan: Object.assign(plan, { outcome, reason }), holdsSlot });
  if (box.suspend) return done('suspended', 'suspend: true; tbx leaves this box exactly as it is');

  plan.changes.push(...diskListChanges(box, input.share));
  const state = requestState(box, input.status, input.share?.spooled, site.policy.maxAttempts);
  // The agent may still be pushing this very status: forwarding it now would only race it.
  const agentPushing = input.share?.pushingUntil !== undefined && Date.parse(input.share.pushingUntil) > Date.parse(input.now);
  if (state.forward && !agentPushing) plan.changes.push({ op: 'forward-status', box: box.name, status: state.forward });
  plan.phase = state.status?.phase ?? null;
  plan.attempt = state.status?.attempt ?? null;

  const managed = pxe && !pxe.irregular && pxe.owner ? pxe : undefined;
  const foreign = pxe && !managed ? pxe : undefined;
  const removeConfig = (outcome: BoxPlan['outcome'], reason: string): Draft => {
    if (managed) plan.changes.push({ op: 'delete-pxe', box: box.name, hex, expect: managed.fingerprint });
    return done(managed && outcome !== 'stalled' ? 'delete' : outcome, reason);
  };

  if (box.action === 'none') {
    return removeConfig('noop', foreign ? `no action requested; pxelinux.cfg/${hex} was not written by tbx and is left alone` : 'no action requested');
  }
  const request = box.request!;
  if (box.action !== 'rescue' && state.done) {
    const cb = comebackStep(site, box, state.status!, input.note, input.comeback, input.now);
    if (cb?.change) plan.changes.push(cb.change);
    const draft = removeConfig('done', `request ${request} Succeeded${state.status?.finishedAt ? ` at ${state.status.finishedAt}` : ''}${cb ? `; ${cb.reason}` : ''}`);
    return { ...draft, awaitingComeback: cb !== undefined && !cb.change };
  }
  const terminal = terminalReason(box, input.note);
  if (terminal) return removeConfig('stalled', terminal);
  if (box.action !== 'rescue' && state.stalled) {
    const s = state.status!;
    const message = s.phase === 'Running'
      ? `attempt ${s.attempt} of ${box.action} started after ${s.attempt - 1} attempt(s) that never finished (the box crashed, lost power or was reset mid-action); policy.maxAttempts is ${site.policy.maxAttempts}`
      : `${s.attempt} of ${site.policy.maxAttempts} attempts of ${box.action} failed${s.message ? `; last: ${s.message}` : ''}`;
    plan.changes.push(addCondition(box, input.note, { type: 'Stalled', reason: 'MaxAttempts', message, at: s.finishedAt ?? s.startedAt }));
    return removeConfig('stalled', `Stalled: ${message}; the box boots its disk until a new request id is set`);
  }

  const src = box.action === 'restore' ? input.source : undefined;
  const content = renderBoxConfig(site, { name: box.name, ip: box.ip, action: box.action, request, ...(src ? { source: { ip: src.ip, ...(src.generation ? { generation: src.generation } : {}) } } : {}), ...(box.action === 'restore' && box.force ? { force: true } : {}) });
  const progress = describeProgress(state.status);
  if (foreign) return done('blocked', `pxelinux.cfg/${hex} exists and was not written by tbx; remove it by hand to let tbx manage ${box.name}`);
  const window = windowState(site.policy.windows, site.policy.timezone, input.now);
  const held = () => done('held', `${box.action} ${request} waits for a maintenance window (policy.windows); the next opens ${window.nextOpen ?? 'never'}`);
  if (managed) {
    const same = managed.owner!.request === request && managed.owner!.action === box.action;
    if (same && box.action !== 'rescue') {
      const timeout = timedOut(site, state, managed, input.now);
      if (timeout) {
        plan.changes.push(addCondition(box, input.note, { type: 'Failed', reason: 'Timeout', message: timeout, at: input.now.replace(/\.\d+Z$/, 'Z') }));
        return removeConfig('stalled', `Failed (Timeout): ${timeout}; the box boots its disk until a new request id is set`);
      }
    }
    if (managed.fingerprint !== fingerprintOf(content)) {
      if (!same && !window.open) return held();
      plan.changes.push({ op: 'write-pxe', box: box.name, hex, content, expect: managed.fingerprint });
      const reboot = same ? undefined : rebootChange(site, box, input.note);
      if (reboot) plan.changes.push(reboot);
      return done('update', same ? `${box.action} ${request} pending; config refreshed from fleet.yaml${progress}` : `replaces request ${managed.owner!.request} with ${box.action} ${request}`, true);
    }
    return done('keep', box.action === 'rescue' ? rescueReason(state.status) : `${box.action} ${request} pending${progress}`, true);
  }
  const blocker = blockedBy(box, input.share, src);
  if (blocker) return done('blocked', blocker);
  if (!window.open) return held();
  const reboot = rebootChange(site, box, input.note);
  return { plan: Object.assign(plan, { outcome: 'create', reason: `${box.action} ${request} requested${progress}` }), holdsSlot: false, candidate: { content, ...(reboot ? { reboot } : {}) } };
}

/** A request the reconciler already ended (Stalled, or Failed on Timeout) stays ended until a new request id. */
function terminalReason(box: Testbox, note: TestboxNote | undefined): string | undefined {
  const c = currentConditions(box, note).find((x) => x.type === 'Stalled' || x.type === 'Failed');
  return c ? `${c.type === 'Failed' ? `Failed (${c.reason})` : 'Stalled'}: ${c.message}; the box boots its disk until a new request id is set` : undefined;
}

/**
 * Why the box's request timed out, or undefined: no result within `policy.actionTimeout`
 * of the later of the config's write and the box's last report for this request.
 */
function timedOut(site: Site, state: RequestState, pxe: ObservedPxe, now: string): string | undefined {
  const last = state.status ? Math.max(Date.parse(state.status.finishedAt ?? state.status.startedAt), Date.parse(pxe.mtime)) : Date.parse(pxe.mtime);
  const limit = durationMs(site.policy.actionTimeout);
  if (Date.parse(now) - last < limit) return undefined;
  return `no result within policy.actionTimeout (${site.policy.actionTimeout}) since ${new Date(last).toISOString().replace(/\.\d+Z$/, 'Z')}${state.status?.phase === 'Running' ? `; attempt ${state.status.attempt} started and never finished` : '; the box never reported back'}`;
}

function diskListChanges(box: Testbox, share: ObservedBox | undefined): Change[] {
  const want = box.disks ? renderDiskList(box.disks) : null;
  const have = share?.diskList;
  if (want !== null && have?.content !== want) return [{ op: 'write-disk-list', box: box.name, ip: box.ip, content: want }];
  if (want === null && have?.content != null && have.ownedByTbx) return [{ op: 'delete-disk-list', box: box.name, ip: box.ip }];
  return [];
}

/**
 * Why a new config must not be written yet, or undefined. Mirrors the agent's own refusals.
 * A restore with a source looks at the source box's images (and generation, when named).
 */
function blockedBy(box: Testbox, share: ObservedBox | undefined, source?: SourceBox): string | undefined {
  const ownImages = (share?.images ?? []).filter((i) => !box.disks || box.disks.includes(i.device));
  if (box.action === 'restore' && source) {
    const held = (source.share?.images ?? []).filter((i) => !box.disks || box.disks.includes(i.device));
    if (held.length === 0) return `restore from ${source.name} requested but the backup share holds no image of ${source.name}; back it up first`;
    const newest = Math.max(...held.map((i) => i.generation ?? 0));
    if (source.generation && source.generation > newest) return `restore from ${source.name}@${source.generation} requested but ${source.name}'s newest generation is ${newest || 'a gzip image without generations'}`;
    if (source.ip !== box.ip && !box.force) return `restore from ${source.name}'s image onto ${box.name} writes another box's disk image: set force: true in the request to confirm`;
    const damaged = source.generation ? undefined : held.find((i) => i.newerDamaged);
    if (damaged) return `restore from ${source.name} requested but the newest image of ${damaged.device} is unreadable (${damaged.newerDamaged}); run tbx image verify, or name a generation: source: ${source.name}@${damaged.generation ?? '?'}`;
    return undefined;
  }
  const images = ownImages;
  if (box.action === 'restore' && images.length === 0) return 'restore requested but the backup share holds no image for this box; back it up first';
  const damaged = box.action === 'restore' ? images.find((i) => i.newerDamaged) : undefined;
  if (damaged) return `restore requested but the newest image of ${damaged.device} is unreadable (${damaged.newerDamaged}); the agent would refuse to restore the older ${damaged.ref} in its place. Run tbx image verify, or restore that generation on purpose with source: ${box.name}@${damaged.generation ?? '?'}`;
  if (box.action === 'backup' && images.length > 0) return `an image already exists (${images.map((i) => i.ref).join(', ')}); use backup-again to replace it`;
  return undefined;
}

function describeProgress(status: TestboxStatus | undefined): string {
  if (!status) return '';
  if (status.phase === 'Running') return ` (attempt ${status.attempt} running since ${status.startedAt})`;
  if (status.phase === 'Failed') return ` (attempt ${status.attempt} failed: ${status.message ?? 'no message'}; retrying)`;
  return '';
}

function rescueReason(status: TestboxStatus | undefined): string {
  return status?.phase === 'Rescue' ? 'rescue system is up; set action: none when done to boot the disk again' : 'rescue requested; config stays until action: none';
}
