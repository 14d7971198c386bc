#!/bin/bash
# hardbake's mariadb entrypoint, for the -dev images only (the runtime images have no shell).
# The official image's behaviour, reduced to what its users rely on: on an empty datadir it
# runs mariadb-install-db, then sets the accounts from MARIADB_ROOT_PASSWORD (or
# MARIADB_ALLOW_EMPTY_ROOT_PASSWORD), MARIADB_ROOT_HOST, MARIADB_DATABASE, MARIADB_USER and
# MARIADB_PASSWORD (MYSQL_* and *_FILE work too) on a temporary socket-only server, runs
# /docker-entrypoint-initdb.d/*.sql, then starts the command. The files belong to uid 65532,
# the runtime image's user, so the hardened mariadb image serves the same datadir. `init`
# initialises and exits.
set -Eeuo pipefail

RUN_UID=65532
DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock

if [ "${1:0:1}" = '-' ]; then
	set -- mariadbd "$@"
fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ] && [ "$1" != init ]; then
	exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$DATADIR" /run/mysqld
	chown "$RUN_UID:$RUN_UID" "$DATADIR"
	exec setpriv --reuid="$RUN_UID" --regid="$RUN_UID" --clear-groups "$0" "$@"
fi

# VAR, else MYSQL_VAR, else the content of VAR_FILE / MYSQL_VAR_FILE
env_value() {
	local name="MARIADB_$1" alt="MYSQL_$1" file
	if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
	if [ -n "${!alt:-}" ]; then printf '%s' "${!alt}"; return; fi
	file="${name}_FILE"; [ -n "${!file:-}" ] || file="${alt}_FILE"
	if [ -n "${!file:-}" ]; then printf '%s' "$(<"${!file}")"; fi
}

sql_string() {  # a quoted SQL string literal: backslashes doubled, quotes doubled
	local s=${1//\\/\\\\}
	printf "'%s'" "${s//\'/\'\'}"
}

sql_name() {  # a quoted SQL identifier
	printf '`%s`' "${1//\`/\`\`}"
}

if [ ! -d "$DATADIR/mysql" ]; then
	root_password="$(env_value ROOT_PASSWORD)"
	allow_empty="$(env_value ALLOW_EMPTY_ROOT_PASSWORD)"
	if [ -z "$root_password" ] && [ -z "$allow_empty" ]; then
		echo "error: $DATADIR is empty and no root password option is set." >&2
		echo "  Set MARIADB_ROOT_PASSWORD (or MARIADB_ROOT_PASSWORD_FILE), or" >&2
		echo "  MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 for a root account without a password." >&2
		exit 1
	fi
	root_host="$(env_value ROOT_HOST)"
	root_host="${root_host:-%}"
	database="$(env_value DATABASE)"
	user="$(env_value USER)"
	password="$(env_value PASSWORD)"

	echo "initialising the datadir $DATADIR"
	mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
		--skip-test-db --cross-bootstrap --skip-name-resolve --default-time-zone=SYSTEM \
		--skip-log-bin --enforce-storage-engine= >/dev/null

	mariadbd --skip-networking --socket="$SOCKET" --datadir="$DATADIR" --skip-log-bin &
	pid=$!
	for _ in $(seq 60); do
		mariadb-admin --socket="$SOCKET" --user=root ping >/dev/null 2>&1 && break
		sleep 0.5
	done

	{
		echo "SET @@SESSION.SQL_LOG_BIN=0;"
		echo "DELETE FROM mysql.global_priv WHERE user NOT IN ('root', 'mariadb.sys') OR host NOT IN ('localhost');"
		echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$root_password");"
		if [ "$root_host" != localhost ]; then
			echo "CREATE USER 'root'@$(sql_string "$root_host") IDENTIFIED BY $(sql_string "$root_password");"
			echo "GRANT ALL ON *.* TO 'root'@$(sql_string "$root_host") WITH GRANT OPTION;"
		fi
		if [ -n "$database" ]; then
			echo "CREATE DATABASE IF NOT EXISTS $(sql_name "$database");"
		fi
		if [ -n "$user" ]; then
			echo "CREATE USER $(sql_string "$user")@'%' IDENTIFIED BY $(sql_string "$password");"
			if [ -n "$database" ]; then
				echo "GRANT ALL ON $(sql_name "$database").* TO $(sql_string "$user")@'%';"
			fi
		fi
		echo "FLUSH PRIVILEGES;"
	} | mariadb --socket="$SOCKET" --user=root --binary-mode

	for f in /docker-entrypoint-initdb.d/*.sql; do
		[ -e "$f" ] || continue
		echo "running $f"
		mariadb --socket="$SOCKET" --user=root --password="$root_password" ${database:+"$database"} <"$f"
	done

	kill "$pid"
	wait "$pid" || true
	echo "MariaDB init process done; ready for start up."
fi

if [ "$1" = init ]; then
	exit 0
fi
exec "$@"
