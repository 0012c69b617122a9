# lib-pg.sh -- a throwaway PostgreSQL 15 for the black-box suites (sourced,
# not run). Usage:
#   . tests/suites/lib-pg.sh
#   if pg_start; then ... use "$PG_URL" ...; fi     # stopped and removed at exit
# pg_start returns 1 (and sets PG_SKIP to the reason) when the Debian
# postgresql-15 binaries are absent, so a suite can skip visibly.
#
# The server: the Debian binaries in /usr/lib/postgresql/15/bin (never the
# wrappers a PATH may hold), a temp directory, a free port on 127.0.0.1 and
# its Unix socket in that directory, trust authentication for user
# postgres, fsync=off (a test cluster: speed over crash safety of the
# server itself; client-side durability tests kill the client, not the
# server). initdb refuses to run as root, so as root everything runs as
# the postgres user via runuser. Takes ~3-7 s.
#
# Sets: PG_URL (postgresql://postgres@127.0.0.1:PORT/postgres), PG_PORT,
# PG_DIR, PG_BIN. pg_stop stops it now (idempotent); pg_start chains
# pg_stop in front of the caller's EXIT trap.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_URL= PG_PORT= PG_DIR= PG_SKIP=

pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_stop() {
  [ -n "$PG_DIR" ] || return 0
  [ -d "$PG_DIR/data" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$PG_DIR"
  PG_DIR= PG_URL=
}

pg_start() {
  if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    PG_SKIP="postgresql-15 binaries not found in $PG_BIN (apt-get install postgresql-15)"
    return 1
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    PG_SKIP="running as root and there is no postgres user to run initdb as"
    return 1
  fi
  PG_DIR=$(mktemp -d /tmp/sl-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
  # the caller's EXIT trap keeps running, after ours
  local prev
  prev=$(trap -p EXIT)
  if [ -n "$prev" ]; then eval "set -- $prev"; trap "pg_stop; $3" EXIT
  else trap pg_stop EXIT; fi
  if ! pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2
    PG_SKIP="initdb failed"
    return 2
  fi
  local try
  for try in 1 2 3; do
    PG_PORT=$(pg_free_port)
    if pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
         -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off \
             -c full_page_writes=off -c max_connections=100 -c shared_buffers=32MB" \
         start >/dev/null 2>&1; then
      PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
      export PG_URL PG_PORT PG_DIR
      return 0
    fi
  done
  cat "$PG_DIR/server.log" >&2
  PG_SKIP="the server did not start"
  return 2
}
