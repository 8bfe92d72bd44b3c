/** One malformed fleet revision: files to set (string or bytes) or delete (null), and what the error must say. */
export interface BadCase {
  /** Category, for the summary table. */
  kind: string;
  name: string;
  files: Record<string, string | Uint8Array | null>;
  /** Symlinks to create instead of files: repo path -> link target. */
  links?: Record<string, string>;
  /** The file the error must name. */
  file: string;
  /** What the error must say about it. */
  reason: RegExp;
}

/** A valid box file, the base of most mutations. */
export function boxYaml(name: string, ip: string, extra = ''): string {
  return `apiVersion: tbx/v1\nkind: Testbox\nname: ${name}\nip: ${ip}\n${extra}`;
}

/** The valid site every case starts from. */
export const SITE = `apiVersion: tbx/v1
kind: Site
boot:
  nfsServer: 10.165.98.101
  gateway: 10.165.98.1
  netmask: 255.255.254.0
policy:
  maxConcurrent: 10
`;

/** The site with `extra` appended under a top-level key (indented YAML text). */
export function siteWith(extra: string): string {
  return `${SITE}${extra}`;
}
