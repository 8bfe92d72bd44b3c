#!/bin/sh
# /init of tbx's maintenance initramfs (busybox sh, PID 1), built by `tbx bootimage build`.
# 1. loads the NIC, disk and file-system modules; 2. brings the network up by DHCP or from
# ip=; 3. mounts the backup and TFTP shares named on the kernel command line; 4. runs
# `tbx agent`; 5. reboots (after tbx.fail-delay seconds if the agent failed), or powers off.
#
# Kernel command line tokens read here (the agent reads the testbox-* ones itself):
#   ip=dhcp | ip=<client>:<server>:<gateway>:<netmask>:<host>:<device>   (default: dhcp)
#   tbx.backup=<share>    backup share, mounted on /mnt/testbox-backup
#   tbx.tftp=<share>      TFTP share, mounted on /mnt/testbox-tftp
#       <share> is 9p:<mount-tag> | nfs:<server>:<export> (NFSv3 over TCP, as the seed)
#                  | nfs4:<server>:<export> (NFSv4.1 over TCP)
#   tbx.fleet=<git url>   fleet repo for the status commit (else the status is only spooled)
#   tbx.branch=<name>     fleet branch
#   tbx.fail-delay=<s>    pause before rebooting after a failure (default 300, the seed's 5 min)
#   tbx.done=reboot|poweroff   what to do at the end (default reboot)
#   tbx.shell             open a shell on the console instead of running the agent
export PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/root TERM=linux LANG=C.UTF-8
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
exec </dev/console >/dev/console 2>&1

say() { echo "tbx-init: $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
say "starting (uptime $(uptime_s) s, kernel $(uname -r))"

IPARG=dhcp BACKUP= TFTP= FLEET= BRANCH= FAIL_DELAY=300 DONE=reboot SHELL_ONLY= ACTION=
for t in $(cat /proc/cmdline); do
  case "$t" in
    ip=*) IPARG=${t#ip=} ;;
    tbx.backup=*) BACKUP=${t#*=} ;;
    tbx.tftp=*) TFTP=${t#*=} ;;
    tbx.fleet=*) FLEET=${t#*=} ;;
    tbx.branch=*) BRANCH=${t#*=} ;;
    tbx.fail-delay=*) FAIL_DELAY=${t#*=} ;;
    tbx.done=*) DONE=${t#*=} ;;
    tbx.shell) SHELL_ONLY=1 ;;
    testbox-action-*) ACTION=${t#testbox-action-} ;;
  esac
done
case "$FAIL_DELAY" in '' | *[!0-9]*) say "ignoring tbx.fail-delay=$FAIL_DELAY (not a number of seconds)"; FAIL_DELAY=300 ;; esac

# Drivers: every listed module, dependencies first (a driver without its hardware just loads).
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done </lib/modules/load-order
hostname maintenance
ip link set lo up

# Network. The static form is the seed's six fields: client:server:gateway:netmask:host:device.
net_up() {
  case "$IPARG" in
    dhcp | '' | on | any | both)
      dev=$1
      ip link set "$dev" up
      udhcpc -i "$dev" -n -q -t 10 -T 2 -s /etc/udhcpc.script >/dev/null ;;
    *)
      IFS=: read -r client server gw mask host dev <<EOT
$IPARG
EOT
      [ -n "$dev" ] || dev=$1
      ifconfig "$dev" "$client" netmask "${mask:-255.255.255.0}" up &&
        { [ -z "$gw" ] || route add default gw "$gw" dev "$dev"; } ;;
  esac
}
first_nic() { for n in /sys/class/net/*; do n=${n##*/}; [ "$n" = lo ] || { echo "$n"; return; }; done; }
i=0; while [ -z "$(first_nic)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
nic=$(first_nic)
if [ -z "$nic" ]; then say "no network interface found"
elif net_up "$nic"; then say "network up: $(ip -4 -o addr show | awk '!/ lo /{print $2, $4}' | tr '\n' ' ')"
else say "network setup failed (ip=$IPARG)"
fi

# Shares. A failed mount is not fatal here: the agent checks the marker files and reports.
mount_share() { # <spec> <mount point>
  mkdir -p "$2"
  case "$1" in
    '') return 0 ;;
    9p:*) set -- "$1" "$2" -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none "${1#9p:}" ;;
    nfs:*) set -- "$1" "$2" -t nfs -o vers=3,proto=tcp,nolock "${1#nfs:}" ;;
    nfs4:*) set -- "$1" "$2" -t nfs4 -o vers=4.1,proto=tcp "${1#nfs4:}" ;;
    *) say "unknown share $1 (expected 9p:, nfs: or nfs4:)"; return 1 ;;
  esac
  spec=$1 dir=$2; shift 2
  for try in 1 2 3; do
    mount "$@" "$dir" && { say "mounted $spec on $dir"; return 0; }
    [ $try = 3 ] || sleep 5
  done
  say "could not mount $spec on $dir"
  return 1
}
mount_share "$BACKUP" /mnt/testbox-backup
mount_share "$TFTP" /mnt/testbox-tftp

if [ -n "$SHELL_ONLY" ]; then
  say "tbx.shell: starting a shell; the agent does not run"
  while :; do setsid cttyhack sh; done
fi

set -- agent --tftp /mnt/testbox-tftp --backup /mnt/testbox-backup --no-reboot --no-mount --share-wait 0 --state-dir /run/tbx
[ -n "$FLEET" ] && set -- "$@" --fleet "$FLEET"
[ -n "$BRANCH" ] && set -- "$@" --branch "$BRANCH"
say "running tbx $* (uptime $(uptime_s) s)"
TBX_LOG_LEVEL=${TBX_LOG_LEVEL:-warn} TBX_LOG_FORMAT=pretty NO_COLOR=1 node /opt/tbx/tbx.mjs "$@"
rc=$?
say "agent exited $rc (uptime $(uptime_s) s)"

if [ "$ACTION" = rescue ] && [ $rc = 0 ]; then
  say "rescue: the box stays up with a shell on the console; set action: none in the fleet repo, then reboot it"
  while :; do setsid cttyhack sh; done
fi
# 16 is a stale boot: reboot at once to pick up the current config. Other failures wait, as
# the seed did, so a broken box does not hammer the shares; the config stays and the next
# boot retries.
if [ $rc != 0 ] && [ $rc != 16 ]; then
  say "failed; waiting $FAIL_DELAY s before the retry boot"
  sleep "$FAIL_DELAY"
fi
sync
umount /mnt/testbox-tftp /mnt/testbox-backup 2>/dev/null
if [ "$DONE" = poweroff ]; then say "powering off"; poweroff -f; else say "rebooting"; reboot -f; fi
