#!/usr/bin/env bash
# Starts PostgreSQL and Redis for the test suite when they are installed but stopped; installs them when
# missing and we may (root on Debian/Ubuntu). Creates the PostgreSQL role and database the tests use.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

if ! command -v pg_ctlcluster >/dev/null && ! pg_up; then
  can_install || { echo "PostgreSQL is not installed: install it (apt-get install postgresql)" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi
if ! pg_up; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }

if ! command -v redis-server >/dev/null && ! redis_up; then
  can_install || { echo "Redis is not installed: install it (apt-get install redis-server)" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server
fi
if ! redis_up; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
fi
redis_up || { echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
echo "PostgreSQL and Redis are up."
