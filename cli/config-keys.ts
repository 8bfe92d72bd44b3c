/**
 * Every config file key of every tbx command: each option's long name without the dashes
 * (the attribute name in kebab case; `--no-reboot` is `reboot`).
 *
 * Static because a run loads only the module of its own command (cli/main.ts), yet a key that
 * another command has must be accepted and ignored, so one /etc/tbx/config.yaml serves them
 * all. test/cli/config-file.test.ts compares this list with the full command tree, so a new
 * option that is not added here fails the tests.
 */
export const CONFIG_KEYS: ReadonlySet<string> = new Set([
  // tbx itself
  'config', 'log-level', 'version',
  // the site: validate, plan, reconcile, status, history, events, report, doctor, agent, image, request
  'fleet', 'tftp', 'backup', 'state-dir', 'branch',
  // plan and reconcile: who may ask
  'protected-branch', 'allowed-signers', 'signed-since',
  // output
  'output', 'format', 'json',
  // filters: status, events, request
  'selector', 'since', 'limit',
  // status --watch, reconcile
  'watch', 'interval', 'lock-wait',
  'metrics-file', 'metrics-listen', 'webhook-url', 'webhook-secret', 'webhook-retries',
  // plan
  'max-image-age',
  // request
  'reason', 'source', 'force', 'checkout', 'base', 'request-id', 'branch-name', 'push', 'remote',
  // doctor
  'min-free', 'mountinfo',
  // init site, init fleet
  'pxelinux-dir', 'modules-dir', 'dry-run', 'nfs-server', 'gateway', 'netmask', 'example',
  // agent
  'ip', 'cmdline', 'sys-block', 'dev-dir', 'reboot', 'hostname', 'proc-dir', 'sys-firmware', 'fail-delay', 'share-wait', 'mount', 'reboot-command',
  // image, bootimage, report, man
  'device', 'generation', 'grace', 'out', 'cache', 'kernel-package', 'busybox',
]);
