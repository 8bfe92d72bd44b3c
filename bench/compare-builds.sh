#!/usr/bin/env bash
# Compare tbx builds on one disk image, interleaved, without the full benchmark:
#   bench/compare-builds.sh <disk.img> <runs> <label>=<tbx checkout with dist/> ...
# Per run and build: a first backup into a fresh share, a full restore onto random data,
# and a differential restore onto the disk with 32 x 1 MiB overwritten (evenly spread). Prints wall and CPU
# seconds and max RSS (GNU time) and whether the result is bit-identical. Work files go
# beside the disk image. Used for the before/after figures in docs/imaging.md.
set -euo pipefail
disk=$(realpath "$1"); runs=$2; shift 2
work=$(dirname "$disk")/compare-work
mkdir -p "$work"
size=$(stat -c %s "$disk")
stride=$((size / 32 / 1048576))
[ "$stride" -ge 1 ] || { echo "the disk must be at least 32 MiB" >&2; exit 2; }
openssl enc -aes-128-ctr -nosalt -pass pass:compare-garbage -pbkdf2 -in /dev/zero 2>/dev/null | head -c "$size" > "$work/garbage.img" || true
t() { /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" > /dev/null; read -r e u s m < "$work/time"; awk -v e="$e" -v c="$(echo "$u + $s" | bc)" -v m="$m" 'BEGIN { printf "%5.2fs wall %5.2fs cpu %4d MiB", e, c, m / 1024 }'; }
for r in $(seq 1 "$runs"); do
  for spec in "$@"; do
    label=${spec%%=*}; root=${spec#*=}; op="$root/dist/bench/imaging-op.js"; share="$work/share-$label"
    rm -rf "$share"
    b=$(t node "$op" backup "$share" 10.0.0.1 "$disk")
    cp --sparse=never "$work/garbage.img" "$work/target.img"
    f=$(t node "$op" restore "$share" 10.0.0.1 "$work/target.img")
    cmp -s "$work/target.img" "$disk" && fs=yes || fs=NO
    cp --sparse=never "$disk" "$work/target.img"
    for i in $(seq 0 31); do dd if="$work/garbage.img" of="$work/target.img" bs=1M count=1 skip="$i" seek=$((i * stride)) conv=notrunc status=none; done
    d=$(t node "$op" restore "$share" 10.0.0.1 "$work/target.img")
    cmp -s "$work/target.img" "$disk" && ds=yes || ds=NO
    printf '%s %-8s backup %s | full restore %s (%s) | diff restore %s (%s)\n' "$r" "$label" "$b" "$f" "$fs" "$d" "$ds"
  done
done
rm -rf "$work"
