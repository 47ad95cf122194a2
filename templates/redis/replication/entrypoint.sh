#!/bin/sh
# The Redis container's entrypoint (src/db/redis-topology.ts): picks this member's replication
# role when it starts, then execs redis-server with the container's arguments.
#
# Redis has no election of its own: a member is a master unless it is started with
# `replicaof HOST PORT` (https://redis.io/docs/latest/operate/oss_and_stack/management/replication/).
# The role comes from two facts a real pod has:
#   - its StatefulSet ordinal, the number after the last `-` of its pod name (REDIS_POD_NAME, from
#     the Downward API: StatefulSet pods are named NAME-ORDINAL);
#   - its region's role, the files beside this script (ConfigMap `redis-replication`, kept by
#     mygate: env create renders it from the region that serves, a failover rewrites it):
#     primary-ordinal  the ordinal that is the master here, or `none` outside the active region
#     primary-host     the master the other members follow
#     primary-port     its port
# The files are read at every start, so a restarted pod takes the role the environment has now.
# The password stays where the container's arguments put it (requirepass / masterauth from the
# generated Secret through the kubelet's $(VAR) expansion).
set -eu

here=$(dirname "$0")
ordinal=${REDIS_POD_NAME##*-}
case $ordinal in
  '' | *[!0-9]*)
    echo "redis entrypoint: no StatefulSet ordinal in pod name '${REDIS_POD_NAME}'" >&2
    exit 1
    ;;
esac

primary_ordinal=$(cat "$here/primary-ordinal")
if [ "$ordinal" = "$primary_ordinal" ]; then
  exec "$@"
fi
exec "$@" --replicaof "$(cat "$here/primary-host")" "$(cat "$here/primary-port")"
