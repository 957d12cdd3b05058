#!/bin/bash
# The life of the Debian package in a throwaway root: run by test/integration/deb.test.ts under
# `unshare --mount --propagation private`, so every mount here vanishes with this process.
#
# The root is an overlay of / (read-only below, a tmpfs above) entered with chroot: dpkg installs into it
# as into a real system, with this machine's dpkg database and programs, and the tmpfs records every file
# the package's life wrote. /proc, /sys, /dev and /run/netns are the host's (tunadm needs /dev/net/tun
# and the test's network namespace); nothing else of the host can be written.
#
# Usage: deb-root.sh WORKDIR DEB NETNS OUTDIR [DPKG-OPTION...]; each step leaves OUTDIR/STEP.{out,err,rc}.
set -u
here=$(dirname "$(readlink -f "$0")")
work=$1 deb=$2 ns=$3 out=$4
shift 4
mount -t tmpfs tmpfs "$work" || exit 10
mkdir "$work/upper" "$work/work" "$work/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$work/root" || exit 11
root=$work/root
for d in proc sys dev run/netns; do mount --rbind "/$d" "$root/$d" || exit 12; done
mkdir -p "$root/mnt/tunadm-deb"
mount --bind -o ro "$(dirname "$deb")" "$root/mnt/tunadm-deb" || exit 13
pkg=/mnt/tunadm-deb/$(basename "$deb")

# What the upper layer holds before the package: the mount points made above.
(cd "$work/upper" && find . | sort) >"$out/upper-before"

step() {
	local name=$1
	shift
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@" >"$out/$name.out" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
}

step install dpkg "$@" -i "$pkg"
step listed dpkg -L tunadm
step version tunadm --version
step add tunadm add tun0 --user nobody --netns "$ns" --json
ip -n "$ns" -d -j link show tun0 >"$out/oracle-add.out" 2>&1
step del tunadm del tun0 --netns "$ns" --json
ip -n "$ns" -j link show >"$out/oracle-del.out" 2>&1
step man env MANWIDTH=80 man --warnings tunadm
step man-add env MANWIDTH=80 man --warnings 8 tunadm-add
step man-config env MANWIDTH=80 man --warnings 5 tunadm.yaml
# bash: the file bash-completion loads on demand for "tunadm" defines the completion; "tunadm de<TAB>".
step bash bash --norc --noprofile -c 'source /usr/share/bash-completion/completions/tunadm && complete -p tunadm &&
	COMP_WORDS=(tunadm de) COMP_CWORD=1 && _tunadm && echo "${COMPREPLY[*]}"'
# zsh: the file is on zsh's default fpath, compinit registers it for tunadm, and the first TAB completes.
step zsh zsh -fc 'autoload -U compinit && compinit -u -D && print -r -- ${_comps[tunadm]} ${^fpath}/_tunadm(N)'
step zsh-tab zsh -f "$here/zsh-first-tab.zsh" 'tunadm app' 'tunadm apply'
step unit systemctl is-enabled tunadm.service
# The unit is valid where it is installed, and the man pages its Documentation= names are there (man(1) finds them).
step unit-verify env SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=yes /lib/systemd/system/tunadm.service
step purge dpkg --purge tunadm
step status dpkg -s tunadm

for d in mnt/tunadm-deb run/netns dev sys proc; do umount -l "$root/$d"; done
(cd "$work/upper" && find . | sort) >"$out/upper-after"
exit 0
