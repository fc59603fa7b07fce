#!/usr/bin/env bash
#
# scripts/in-debian.sh SUITE [command...]: run the test suite (or a command)
# in a Debian SUITE chroot made with debootstrap, against the newest
# PostgreSQL that suite ships (trixie: 17, forky: 18).  As root:
#
#   sudo bash scripts/in-debian.sh trixie                 # bash test.sh on 17
#   sudo bash scripts/in-debian.sh forky bash bench/run.sh --quick
#   sudo REGRESS=02_scans PROVE_TESTS=none bash scripts/in-debian.sh forky
#
# The chroot is made from the Debian mirror apt is configured with on this
# machine (/etc/apt/sources.list.d/*.sources or /etc/apt/sources.list;
# LRN_DEBIAN_MIRROR overrides it), with PostgreSQL, its server headers and
# the build and test tools installed, and kept in $LRN_CHROOT_CACHE/SUITE
# (default /var/cache/learned-debian) for the next run: it is only used once
# it is complete (a marker file written last), and a lock file serializes
# runs on one suite.  LRN_CHROOT_CACHE=tmp makes a throwaway chroot in this
# run's temporary directory instead.
#
# Each run copies the work tree (without .git and build output) to a fresh
# directory in the chroot's /tmp, mounts proc, sys, dev, dev/pts and dev/shm,
# runs the command there with PG_MAJOR set, and on exit (also on failure or
# interruption) stops what still runs in the chroot, unmounts and removes the
# copy.  Passed through: REGRESS ISOLATION PROVE_TESTS LRN_KEEP LRN_PGPORT
# CI; LRN_SUMMARY_FILE (a path on this machine) receives test.sh's closing
# line, and a benchmark's bench/out comes back as bench/out/debian-SUITE.
# The exit status is the command's.

set -euo pipefail

usage() { sed -n '2,/^$/ s/^# \{0,1\}//p' "$0"; }
die() { printf 'in-debian.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '==> [%s] %s\n' "$suite" "$*" >&2; }

[ $# -ge 1 ] || { usage >&2; exit 2; }
case $1 in -h | --help) usage; exit 0 ;; esac
suite=$1
shift
case $suite in '' | *[!a-z0-9-]*) die "not a suite name: $suite" ;; esac
[ $# -gt 0 ] || set -- bash test.sh
[ "$(id -u)" -eq 0 ] || die "run this as root: it runs debootstrap, mount and chroot"

src=$(cd "$(dirname "$0")/.." && pwd)

# The Debian mirror apt uses here: the first deb source of the main archive
# (not debian-security) in deb822 or one-line format.
debian_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk 'BEGIN{IGNORECASE=1}
			/^Types:/ {deb = ($0 ~ /[ \t]deb([ \t]|$)/)}
			/^URIs:/ && deb {for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' "$f")
		[ -n "$uri" ] && { echo "${uri%/}"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) {if ($i ~ /\/debian\/?$/) print $i; break}}' "$f" | head -n 1)
		[ -n "$uri" ] && { echo "${uri%/}"; return; }
	done
	return 1
}

mirror=${LRN_DEBIAN_MIRROR:-$(debian_mirror)} ||
	die "no Debian mirror in apt's sources here; set LRN_DEBIAN_MIRROR"

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/in-debian.XXXXXX")
cache=${LRN_CHROOT_CACHE:-/var/cache/learned-debian}
if [ "$cache" = tmp ]; then cache=$run_tmp/chroots; fi
mkdir -p "$cache"
root=$cache/$suite
mounted=()
work=

cleanup() {
	local rc=$? i pid
	set +e
	# Anything still running inside the chroot (a server a killed test left
	# behind) holds the mounts: stop it, by process id.
	if [ -d "$root" ]; then
		for i in 1 2; do
			for pid in $(ls /proc | grep -E '^[0-9]+$'); do
				[ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$root" ] || continue
				kill "-$([ $i = 1 ] && echo TERM || echo KILL)" "$pid" 2>/dev/null
			done
			sleep 1
		done
	fi
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}"
	done
	[ -n "$work" ] && rm -rf "$work"
	rm -rf "$run_tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

do_mount() {
	local what
	for what in proc sys dev dev/pts dev/shm; do
		mkdir -p "$root/$what"
		mount --bind "/$what" "$root/$what"
		mounted+=("$root/$what")
	done
}

in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# One run at a time per suite's chroot (released when this script exits).
exec 9>"$cache/$suite.lock"
flock 9

if [ ! -f "$root/.learned-ready" ]; then
	if [ ! -f "$root/.learned-debootstrap-done" ]; then
		rm -rf "$root"
		script=
		[ -e "/usr/share/debootstrap/scripts/$suite" ] ||
			script=/usr/share/debootstrap/scripts/sid # e.g. forky on Debian 12
		log "debootstrap $suite from $mirror into $root"
		debootstrap --variant=minbase "$suite" "$root" "$mirror" $script \
			>"$run_tmp/debootstrap.log" 2>&1 || {
			tail -n 30 "$run_tmp/debootstrap.log" >&2
			die "debootstrap $suite failed"
		}
		touch "$root/.learned-debootstrap-done"
	fi
	# Testing suites' Release files may be past Valid-Until; no services
	# started by package scripts; no default cluster from postgresql-common.
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99learned"
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	mkdir -p "$root/etc/postgresql-common"
	echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.conf"
	do_mount
	log "apt-get update; choosing the newest PostgreSQL"
	in_root apt-get update -qq >"$run_tmp/apt.log" 2>&1 || {
		cat "$run_tmp/apt.log" >&2
		die "apt-get update in the $suite chroot failed"
	}
	major=$(in_root apt-cache pkgnames postgresql- | sed -n 's/^postgresql-\([0-9][0-9]*\)$/\1/p' | sort -n | tail -n 1)
	[ -n "$major" ] || die "no postgresql-N package in $suite"
	log "installing PostgreSQL $major, its server headers and the build and test tools"
	in_root apt-get install -y -qq --no-install-recommends \
		"postgresql-$major" "postgresql-server-dev-$major" build-essential make gcc \
		libipc-run-perl python3 gnuplot-nox >"$run_tmp/apt.log" 2>&1 || {
		tail -n 30 "$run_tmp/apt.log" >&2
		die "apt-get install in the $suite chroot failed"
	}
	in_root apt-get clean
	echo "$major" >"$root/.learned-ready"
else
	do_mount
fi
major=$(cat "$root/.learned-ready")
[ -z "${PG_MAJOR:-}" ] || [ "$PG_MAJOR" = "$major" ] ||
	die "the $suite chroot has PostgreSQL $major, not PG_MAJOR=$PG_MAJOR"

work=$(mktemp -d "$root/tmp/learned-src.XXXXXX")
chmod 755 "$work"
tar -C "$src" --exclude=./.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	--exclude=./results --exclude=./tmp_check --exclude=./log \
	--exclude='./regression.*' --exclude=./test/rmi_test --exclude=./bench/out \
	--exclude=./output_iso \
	-cf - . | tar -C "$work" -xf -
inside=${work#"$root"}

pass=(PG_MAJOR="$major")
for v in REGRESS ISOLATION PROVE_TESTS LRN_KEEP LRN_PGPORT CI; do
	if [ -n "${!v+x}" ]; then pass+=("$v=${!v}"); fi
done
if [ -n "${LRN_SUMMARY_FILE:-}" ]; then pass+=(LRN_SUMMARY_FILE="$inside/.summary"); fi

log "running in $inside with PostgreSQL $major: $*"
set +e
in_root "${pass[@]}" bash -c 'cd "$1" && shift && exec "$@"' in-debian "$inside" "$@"
rc=$?
set -e
if [ -n "${LRN_SUMMARY_FILE:-}" ] && [ -f "$work/.summary" ]; then
	cp "$work/.summary" "$LRN_SUMMARY_FILE"
fi
# A quick benchmark's results (bench/out, gitignored) come back here.
if [ -d "$work/bench/out" ]; then
	rm -rf "$src/bench/out/debian-$suite"
	mkdir -p "$src/bench/out"
	cp -r "$work/bench/out" "$src/bench/out/debian-$suite"
	log "benchmark results in bench/out/debian-$suite"
fi
exit "$rc"
