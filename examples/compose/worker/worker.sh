#!/bin/sh
# The worker: processes a job every JOB_INTERVAL seconds; exits promptly on SIGTERM.
trap 'echo "worker: stopping"; exit 0' TERM INT
echo "worker: started (revision ${REVISION:-unknown})"
n=0
while true; do
    n=$((n + 1))
    echo "worker: processed job $n"
    sleep "${JOB_INTERVAL:-5}" &
    wait $!
done
