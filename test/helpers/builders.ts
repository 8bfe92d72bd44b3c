import type { Desired } from '../../fleet/read-desired.js';
import type { ImageSummary } from '../../imaging/store.js';
import { hexIp } from '../../lib/hex-ip.js';
import { markerLine } from '../../pxe/marker.js';
import { renderBoxConfig } from '../../pxe/render.js';
import { fingerprint, type Observed, type ObservedBox } from '../../reconciler/observe.js';
import type { Action, Site, Testbox, TestboxNote, TestboxStatus } from '../../schema/types.js';

/** In-memory builders for the pure core (the changesets way): no fs, no git. */

export function site(policy: Partial<Site['policy']> = {}): Site {
  return {
    apiVersion: 'tbx/v1',
    kind: 'Site',
    boot: { nfsServer: '10.165.98.101', nfsRoot: '/export/testbox-nfsroot', gateway: '10.165.98.1', netmask: '255.255.254.0', ethDevice: 'eth0', ipConfig: 'static', kernel: 'maintenance-boot/vmlinuz', initrd: 'maintenance-boot/initrd.img', extraArgs: [] },
    policy: { maxConcurrent: 10, maxAttempts: 3, actionTimeout: '2h', timezone: 'UTC', keepGenerations: 3, imageFormat: 'chunked', skipFreeSpace: true, ...policy },
  };
}

export function testbox(name: string, ip: string, action: Action = 'none', request?: string, extra: Partial<Testbox> = {}): Testbox {
  return { apiVersion: 'tbx/v1', kind: 'Testbox', name, ip, action, suspend: false, ...(request ? { request } : {}), ...extra };
}

export function status(box: Testbox, phase: TestboxStatus['phase'], attempt = 1, extra: Partial<TestboxStatus> = {}): TestboxStatus {
  return {
    apiVersion: 'tbx/v1',
    kind: 'TestboxStatus',
    name: box.name,
    ip: box.ip,
    request: box.request!,
    action: box.action,
    attempt,
    phase,
    startedAt: `2026-11-24T10:0${attempt}:00Z`,
    ...(phase === 'Running' ? {} : { finishedAt: `2026-11-24T10:0${attempt}:30Z` }),
    ...extra,
  };
}

export function desired(boxes: Testbox[], opts: { site?: Site; statuses?: TestboxStatus[]; notes?: TestboxNote[] } = {}): Desired {
  return {
    revision: 'abc123',
    site: opts.site ?? site(),
    boxes: [...boxes].sort((a, b) => a.name.localeCompare(b.name)),
    statuses: new Map((opts.statuses ?? []).map((s) => [s.name, s])),
    notes: new Map((opts.notes ?? []).map((n) => [n.name, n])),
    diagnostics: [],
  };
}

export function image(device = 'sda'): ImageSummary {
  return { device, format: 'gzip', ref: `${device}.gz`, createdAt: '2026-11-20T00:00:00.000Z', storedBytes: 1000, logicalBytes: null, sha256: null };
}

/** An observed world; `pxe` maps IP -> file content (tbx's own or foreign). */
export function observed(opts: { hasDefault?: boolean; pxe?: Record<string, string>; boxes?: Record<string, Partial<ObservedBox>>; comebacks?: Record<string, { ok: boolean; detail: string }>; now?: string; pxeMtime?: string } = {}): Observed {
  const pxe = new Map(
    Object.entries(opts.pxe ?? {}).map(([ip, content]) => {
      const first = content.split('\n', 1)[0]!;
      const m = /^# managed-by: tbx box=(\S+) request=(\S+)(?: action=(\S+))?$/.exec(first);
      return [hexIp(ip), { hex: hexIp(ip), ip, fingerprint: fingerprint(content), irregular: false, mtime: opts.pxeMtime ?? '2026-11-24T11:00:00Z', ...(m ? { owner: { box: m[1]!, request: m[2]!, ...(m[3] ? { action: m[3] } : {}) } } : {}) }];
    }),
  );
  const boxes = new Map(Object.entries(opts.boxes ?? {}).map(([ip, b]) => [ip, { images: [], diskList: { content: null, ownedByTbx: false }, ...b }]));
  return { hasDefault: opts.hasDefault ?? true, defaultOwned: false, pxe, boxes, diagnostics: [], comebacks: new Map(Object.entries(opts.comebacks ?? {})), now: opts.now ?? '2026-11-24T12:00:00Z', leftovers: [] };
}

/** The config tbx would write for `box` on the default site. */
export function ownConfig(box: Testbox, s: Site = site()): string {
  return renderBoxConfig(s, { name: box.name, ip: box.ip, action: box.action as Exclude<Action, 'none'>, request: box.request! });
}

/** A config tbx wrote earlier for another request. */
export function staleOwnConfig(box: Testbox, request: string): string {
  return `${markerLine(box.name, request, box.action)}\nPATH bios\n`;
}
