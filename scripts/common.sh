# shellcheck shell=bash
#
# scripts/common.sh: what run.sh, test.sh and bench/run.sh share.  Source it;
# it defines functions and variables and runs nothing by itself.
#
#   lrn_install_deps [pkg...]  apt-get install PostgreSQL $PG_MAJOR, its server headers
#                              and a C toolchain (plus pkg...), only if missing
#   lrn_prepare_tree           copy the source tree to $LRN_TMP/src, owned by
#                              the OS user postgres (tests write into it, and
#                              PostgreSQL refuses to run as root)
#   lrn_build                  build the copy with warnings as errors
#   lrn_install                make install (as root)
#   lrn_cluster_start [conf]   initdb + start a throwaway cluster as postgres;
#                              conf lines are appended to postgresql.conf.
#                              Exports PGHOST PGPORT PGUSER PGDATABASE.
#   lrn_cluster_stop           stop it (idempotent; the EXIT trap calls it)
#   lrn_as_pg cmd...           run cmd as postgres, with PG* passed through
#   lrn_psql args...           psql as postgres, quiet, stops on the first error
#   lrn_cleanup                stop the cluster, remove $LRN_TMP; trap it on EXIT
#
# Settings (environment): PG_MAJOR (the PostgreSQL major version to build
# against and test; see lrn_pick_pg_major), LRN_PGBIN (its bin directory, for
# a PostgreSQL installed elsewhere), LRN_PGPORT (54329), LRN_KEEP=1 keeps
# $LRN_TMP (cluster, logs, test output) for a look afterwards.

lrn_log() { printf '==> %s\n' "$*" >&2; }
lrn_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The PostgreSQL to use: PG_MAJOR if set; else the version of LRN_PGBIN's
# pg_config if given; else the newest whose server headers
# (postgresql-server-dev-N) are installed; else the newest postgresql-N the
# machine's apt offers (after an apt-get update if its lists are empty).
lrn_pick_pg_major() {
	local n
	if [ -n "${PG_MAJOR:-}" ]; then
		case $PG_MAJOR in *[!0-9]*) lrn_die "PG_MAJOR must be a major version number, like 17" ;; esac
		return 0
	fi
	if [ -n "${LRN_PGBIN:-}" ] && [ -x "$LRN_PGBIN/pg_config" ]; then
		n=$("$LRN_PGBIN/pg_config" --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
	fi
	if [ -z "${n:-}" ] && command -v dpkg-query >/dev/null; then
		n=$(dpkg-query -W -f='${Package} ${Status}\n' 'postgresql-server-dev-*' 2>/dev/null |
			sed -n 's/^postgresql-server-dev-\([0-9][0-9]*\) install ok installed$/\1/p' |
			sort -n | tail -n 1)
	fi
	if [ -z "${n:-}" ] && command -v apt-cache >/dev/null; then
		lrn_apt_newest() {
			apt-cache pkgnames postgresql- 2>/dev/null |
				sed -n 's/^postgresql-\([0-9][0-9]*\)$/\1/p' | sort -n | tail -n 1
		}
		n=$(lrn_apt_newest)
		if [ -z "$n" ] && [ "$(id -u)" -eq 0 ]; then
			DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
			n=$(lrn_apt_newest)
		fi
	fi
	[ -n "${n:-}" ] || lrn_die "no PostgreSQL found: set PG_MAJOR (and LRN_PGBIN for one outside apt)"
	PG_MAJOR=$n
}

lrn_pick_pg_major
export PG_MAJOR
LRN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LRN_PGBIN=${LRN_PGBIN:-/usr/lib/postgresql/$PG_MAJOR/bin}
PG_CONFIG=${PG_CONFIG:-$LRN_PGBIN/pg_config}
LRN_PGPORT=${LRN_PGPORT:-54329}
LRN_PG_USER=postgres
LRN_PATH="$LRN_PGBIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LRN_TMP=
LRN_PGDATA=
export PG_CONFIG

lrn_require_root() {
	[ "$(id -u)" -eq 0 ] ||
		lrn_die "run this as root (sudo bash $(basename "$0")): it installs packages and the extension"
}

lrn_install_deps() {
	local pkg missing=()
	for pkg in "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" \
		build-essential make gcc "$@"; do
		dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || lrn_die "missing ${missing[*]} and there is no apt-get (Debian expected)"
	lrn_log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null ||
		lrn_die "apt-get update failed"
	local log="${TMPDIR:-/tmp}/learned-apt.$$.log"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		rm -f "$log"
		lrn_die "apt-get install ${missing[*]} failed"
	}
	rm -f "$log"
	[ -x "$PG_CONFIG" ] || lrn_die "$PG_CONFIG not found after installing PostgreSQL $PG_MAJOR"
}

# The work directory: a copy of the tree, the cluster and the logs.
lrn_make_tmp() {
	[ -n "$LRN_TMP" ] && return 0
	LRN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/learned.XXXXXX")
	chmod 755 "$LRN_TMP"
	if [ "$(id -u)" -eq 0 ]; then chown "$LRN_PG_USER:" "$LRN_TMP"; fi
}

lrn_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$LRN_PG_USER" -- env PATH="$LRN_PATH" PG_CONFIG="$PG_CONFIG" "$@"
	else
		env PATH="$LRN_PATH" PG_CONFIG="$PG_CONFIG" "$@"
	fi
}

lrn_prepare_tree() {
	lrn_make_tmp
	mkdir -p "$LRN_TMP/src"
	# Everything but git data and build or test output of earlier runs.
	tar -C "$LRN_ROOT" --exclude=./.git --exclude='*.o' --exclude='*.so' \
		--exclude='*.bc' --exclude=./results --exclude=./tmp_check \
		--exclude=./log --exclude='./regression.*' --exclude=./test/rmi_test --exclude=./test/split_test \
		-cf - . | tar -C "$LRN_TMP/src" -xf -
	if [ "$(id -u)" -eq 0 ]; then chown -R "$LRN_PG_USER:" "$LRN_TMP/src"; fi
	LRN_SRC=$LRN_TMP/src
}

lrn_build() {
	lrn_log "building (make COPT=-Werror)"
	if ! (cd "$LRN_SRC" && lrn_as_pg make -s COPT=-Werror PG_CONFIG="$PG_CONFIG") \
		>"$LRN_TMP/build.log" 2>&1; then
		cat "$LRN_TMP/build.log" >&2
		lrn_die "build failed"
	fi
	# -s leaves only diagnostics; show any (e.g. from the bitcode compiler).
	if [ -s "$LRN_TMP/build.log" ]; then cat "$LRN_TMP/build.log" >&2; fi
}

lrn_install() {
	lrn_log "installing the extension into $("$PG_CONFIG" --pkglibdir)"
	(cd "$LRN_SRC" && make -s install PG_CONFIG="$PG_CONFIG") >"$LRN_TMP/install.log" 2>&1 || {
		cat "$LRN_TMP/install.log" >&2
		lrn_die "make install failed"
	}
}

lrn_cluster_start() {
	lrn_make_tmp
	LRN_PGDATA=$LRN_TMP/data
	lrn_log "starting a throwaway cluster in $LRN_PGDATA (port $LRN_PGPORT)"
	lrn_as_pg initdb -D "$LRN_PGDATA" -U "$LRN_PG_USER" -A trust --no-locale \
		-E UTF8 --no-sync >"$LRN_TMP/initdb.log" 2>&1 || {
		cat "$LRN_TMP/initdb.log" >&2
		lrn_die "initdb failed"
	}
	# Unix socket only, in our own directory: no clash with any other server.
	{
		echo "listen_addresses = ''"
		echo "port = $LRN_PGPORT"
		echo "unix_socket_directories = '$LRN_TMP'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "max_wal_size = 4GB"
		echo "log_min_messages = warning"
		local line
		for line in "$@"; do echo "$line"; done
	} >>"$LRN_PGDATA/postgresql.conf"
	lrn_as_pg pg_ctl -D "$LRN_PGDATA" -l "$LRN_TMP/server.log" -w -t 120 start >/dev/null || {
		cat "$LRN_TMP/server.log" >&2
		LRN_PGDATA=
		lrn_die "the cluster did not start"
	}
	export PGHOST=$LRN_TMP PGPORT=$LRN_PGPORT PGUSER=$LRN_PG_USER PGDATABASE=postgres
}

lrn_cluster_stop() {
	[ -n "$LRN_PGDATA" ] && [ -f "$LRN_PGDATA/postmaster.pid" ] || return 0
	lrn_as_pg pg_ctl -D "$LRN_PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1 ||
		lrn_as_pg pg_ctl -D "$LRN_PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
}

lrn_psql() {
	lrn_as_pg psql -X -q -v ON_ERROR_STOP=1 "$@"
}

lrn_cleanup() {
	local rc=$?
	lrn_cluster_stop
	if [ -n "$LRN_TMP" ] && [ -d "$LRN_TMP" ]; then
		if [ "${LRN_KEEP:-0}" = 1 ]; then
			lrn_log "kept $LRN_TMP"
		else
			rm -rf "$LRN_TMP"
		fi
	fi
	LRN_TMP=''
	LRN_PGDATA=''
	return $rc
}
