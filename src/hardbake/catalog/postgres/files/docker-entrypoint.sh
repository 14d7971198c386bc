#!/bin/bash
# hardbake's postgres entrypoint, for the -dev images only (the runtime images have no shell).
# The official image's behaviour, reduced to what its users rely on: on an empty $PGDATA it
# runs initdb from POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), POSTGRES_USER, POSTGRES_DB,
# POSTGRES_INITDB_ARGS and POSTGRES_HOST_AUTH_METHOD, runs /docker-entrypoint-initdb.d/*.sql,
# then starts the command. The files belong to uid 65532, the runtime image's user, so the
# hardened postgres image serves the same data directory. `init` initialises and exits.
set -Eeuo pipefail

RUN_UID=65532
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" != postgres ] && [ "$1" != init ]; then
	exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /run/postgresql
	chown "$RUN_UID:$RUN_UID" "$PGDATA" /run/postgresql
	chmod 0700 "$PGDATA"
	exec setpriv --reuid="$RUN_UID" --regid="$RUN_UID" --clear-groups "$0" "$@"
fi

if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
	POSTGRES_PASSWORD="$(<"$POSTGRES_PASSWORD_FILE")"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
		echo "error: $PGDATA is empty and POSTGRES_PASSWORD is not set." >&2
		echo "  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to initialise it," >&2
		echo "  or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password." >&2
		exit 1
	fi
	user="${POSTGRES_USER:-postgres}"
	db="${POSTGRES_DB:-$user}"
	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, as in the official image
	# TCP needs the password even from 127.0.0.1 (the official image trusts loopback, which with
	# --network host is the host's); the socket inside the container is trusted
	initdb --username="$user" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
		--auth-local=trust --auth-host="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" ${POSTGRES_INITDB_ARGS:-}
	printf '\nhost all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
	printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

	# a temporary server on the socket only, for the database and the init scripts
	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /run/postgresql" -w start >/dev/null
	export PGPASSWORD="${POSTGRES_PASSWORD:-}"
	psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --host /run/postgresql --username "$user")
	if [ "$db" != postgres ]; then
		"${psql[@]}" --dbname postgres --set db="$db" <<-'SQL'
			CREATE DATABASE :"db";
		SQL
	fi
	for f in /docker-entrypoint-initdb.d/*.sql; do
		[ -e "$f" ] || continue
		echo "running $f"
		"${psql[@]}" --dbname "$db" -f "$f"
	done
	unset PGPASSWORD
	pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
	echo "PostgreSQL init process complete; ready for start up."
fi

if [ "$1" = init ]; then
	exit 0
fi
exec "$@"
