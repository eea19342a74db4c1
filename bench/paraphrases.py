"""A fixed set of attempt pairs for measuring similar-attempt recall (data only; never change it in place).

Each pair is (earlier attempt, later telling, same idea?). ``bench_similarity.py`` hides every earlier
attempt among the benchmark ledger's attempts (whose words are the same domain words, so they crowd the
candidate step), asks with the later telling exactly as ``similar_attempts`` does (limit 5, min_score
0.35), and counts a pair as found when its earlier attempt is among the answers: recall over the
paraphrases, false alarms over the rest. Changing the set makes old and new figures incomparable: add a
new set beside this one instead.
"""

PARAPHRASES: list[tuple[str, str, bool]] = [
    # the same idea, reworded
    ("restart celery worker to fix event loop", "fix: event loop error by restarting the worker", True),
    ("raise the worker memory limit to stop the OOMKilled restarts", "worker keeps getting OOMKilled, bump its memory limit", True),
    ("recreate the beat container so the new schedule is picked up", "beat still runs the old schedule; recreating its container", True),
    ("lower celery prefetch multiplier to 1 so long tasks do not starve the queue", "set prefetch to one: long celery tasks starve the queue", True),
    ("rotate the redis connection pool after the dns change", "dns changed, redis pool still points at the old address: rotate the pool", True),
    ("increase gunicorn timeout to 120 for the slow report endpoint", "report endpoint times out under gunicorn, raising its timeout", True),
    ("pin the image tag to the digest so the rollout pulls the right build", "rollout pulled a stale build; pinning the image by digest", True),
    ("enable the eventbridge rule that terraform left disabled", "eventbridge schedule rule is disabled by terraform default, enabling it", True),
    ("switch the model endpoint back from the fallback path to sagemaker", "model calls go to the fallback path, point them at the sagemaker endpoint again", True),
    ("add the missing DATABASE_URL key to the api configmap", "api crashes: DATABASE_URL missing from its configmap, adding the key", True),
    ("retry the postgres migration after releasing the advisory lock", "migration blocked on postgres advisory lock; release it and rerun the migration", True),
    ("relax the readiness probe so the api pod stops flapping", "api pod flaps between ready and not ready: loosen its readiness probe", True),
    ("lengthen the liveness probe initial delay for the slow starting worker", "worker killed by liveness probe before it finishes starting; longer initial delay", True),
    ("rebuild the worker image because the container runs stale code", "stale code running in the worker container, rebuilding its image", True),
    ("reduce uvicorn concurrency to stop the deadlock in the db pool", "deadlock in the database pool under load; lowering uvicorn concurrency", True),
    ("flush the dns cache on the gateway after the upstream moved", "gateway still resolves the old upstream; clearing its dns cache", True),
    ("renew the tls certificate on nginx before it expires", "nginx certificate about to expire, renewing it", True),
    ("set the celery soft time limit so hung tasks are killed", "hung celery tasks never die: add a soft time limit", True),
    ("backoff the webhook retry because the upstream refuses connections", "upstream refuses connections, webhook retries need backoff", True),
    ("restart the api to load the rotated token header secret", "api still sends the old token header after rotation: restarting it", True),
    ("increase max tasks per child to stop the worker memory leak", "worker leaks memory, recycle children more often with max tasks per child", True),
    ("add an index on the events table to fix the slow cron job", "cron job slow because the events table has no index: adding one", True),
    ("scale the worker deployment to three replicas for the queue backlog", "queue backlog keeps growing, running three worker replicas", True),
    ("disable the feature flag that sends traffic to the broken fallback", "broken fallback gets traffic because of the feature flag, turning it off", True),
    ("point the worker env var REDIS_URL at the new cluster", "worker still uses the old redis cluster: update its REDIS_URL environment variable", True),
    ("drain and restart the beat scheduler to clear duplicate schedules", "duplicate schedules from beat; drain it and restart", True),
    ("raise the nginx buffer size for the large upstream headers", "nginx rejects large upstream headers, increase its buffer", True),
    ("roll back the worker image tag to the last known good digest", "revert worker to the previous good image digest", True),
    ("mount the secret as a volume so the api reads the key file", "api cannot find the key file: mount the secret as a volume", True),
    ("shorten the health check interval so the load balancer notices recovery", "load balancer slow to see the service healthy again, shorter health check interval", True),
    # related words, a different idea
    ("raise the worker memory limit to stop the OOMKilled restarts", "lower the api cpu request so it fits on the node", False),
    ("restart celery worker to fix event loop", "upgrade the kafka client library", False),
    ("pin the image tag to the digest so the rollout pulls the right build", "rotate the tls certificate on the load balancer", False),
    ("enable the eventbridge rule that terraform left disabled", "add a retry to the postgres migration", False),
    ("increase gunicorn timeout to 120 for the slow report endpoint", "rename the redis queue used by the beat scheduler", False),
    ("add the missing DATABASE_URL key to the api configmap", "switch the model endpoint back from fallback path", False),
    ("relax the readiness probe so the api pod stops flapping", "pin numpy below 2 in requirements to fix the import", False),
    ("rebuild the worker image because the container runs stale code", "set the log level to debug on the gateway", False),
    ("renew the tls certificate on nginx before it expires", "increase the disk size of the postgres volume", False),
    ("flush the dns cache on the gateway after the upstream moved", "add a unique constraint to the users email column", False),
    ("set the celery soft time limit so hung tasks are killed", "move the cron schedule of the nightly report to 3am", False),
    ("scale the worker deployment to three replicas for the queue backlog", "fix the typo in the readme install section", False),
    ("disable the feature flag that sends traffic to the broken fallback", "tune the autovacuum settings of the events table", False),
    ("mount the secret as a volume so the api reads the key file", "restart the sagemaker notebook instance", False),
    ("roll back the worker image tag to the last known good digest", "add a liveness probe to the gateway", False),
]
