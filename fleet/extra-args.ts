import { carriesSecret, redact } from '../lib/redact.js';

/**
 * Kernel arguments a site may not set in `boot.extraArgs`, and why. The APPEND line's own
 * tokens say what a box does (action, request, imaging options) and where it is (`ip=`,
 * `initrd=`); a later duplicate in extraArgs would override them for every box, behind
 * the back of the per-box request a reviewer approved. And a PXE file is readable by
 * anything that speaks TFTP, so no token may carry a password.
 */
const RESERVED: { test: RegExp; why: string }[] = [
  { test: /^testbox-/, why: 'testbox-* tokens are written by tbx from each box\'s request (action, request id, imaging options)' },
  { test: /^(initrd|ip|BOOT_IMAGE)=/, why: 'tbx writes this token itself from boot.initrd and boot.ipConfig' },
];

/** Why `token` may not appear in `boot.extraArgs`, or undefined when it may. */
export function extraArgProblem(token: string): string | undefined {
  for (const r of RESERVED) if (r.test.test(token)) return `boot.extraArgs: '${token}' is not allowed: ${r.why}`;
  if (carriesSecret(token)) {
    return `boot.extraArgs: '${redact(token)}' carries a password or token; PXE files are readable by any host on the boot network. Give the agent a credential-free URL (git daemon, or a file:// path on a share)`;
  }
  return undefined;
}
