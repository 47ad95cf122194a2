#!/bin/sh
# mygate scheduled verification (templates/backup/verify-job.yaml): runs one program (mongorestore,
# mongosh hashes.js) and keeps what it did as files for compare.js: OUT.stdout, OUT.stderr,
# OUT.exit, OUT.started, OUT.finished (epoch milliseconds). Exits 0 whatever the program did: a
# failed restore is the backup's verdict, recorded and uploaded by the steps after this one.
# Usage: capture.sh OUT PROGRAM [ARG...]
set -u
out=$1
shift
date -u +%s%3N > "$out.started"
"$@" > "$out.stdout" 2> "$out.stderr"
echo $? > "$out.exit"
date -u +%s%3N > "$out.finished"
cat "$out.stderr" >&2
exit 0
