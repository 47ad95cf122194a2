#!/bin/sh
# mygate scheduled verification (templates/backup/verify-job.yaml): one object copy whose key was
# decided in the pod (pick-latest.js, compare.js write it to a file), with the provider's own copy
# command (aws s3 cp / gcloud storage cp / mygate-local-store, under workload identity).
#   transfer.sh get KEY_FILE FILE URL_PREFIX COPY...   COPY URL_PREFIX+KEY FILE
#   transfer.sh put KEY_FILE FILE URL_PREFIX COPY...   COPY FILE URL_PREFIX+KEY, then, for the
#     verdict (FILE's folder holds verdict.status), exits 1 unless it is "passed": the Job fails.
set -eu
direction=$1
key=$(cat "$2")
file=$3
prefix=$4
shift 4
case "$key" in
  backups/*) ;;
  *) echo "transfer.sh: $2 does not hold a backups/ key" >&2; exit 2 ;;
esac
if [ "$direction" = get ]; then
  exec "$@" "$prefix$key" "$file"
fi
"$@" "$file" "$prefix$key"
status_file="$(dirname "$file")/verdict.status"
[ -f "$status_file" ] || exit 0
summary=$(cat "$(dirname "$file")/verdict.summary")
echo "$summary"
printf '%s' "$summary" > /dev/termination-log || true
[ "$(cat "$status_file")" = passed ]
