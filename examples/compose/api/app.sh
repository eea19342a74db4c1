#!/bin/sh
# The api: serves /health and /version with busybox httpd and says which model path it uses.
mkdir -p /www
echo ok > /www/health
echo "${REVISION:-unknown}" > /www/version
if wget -q -T 2 -O /dev/null "$MODEL_URL" 2>/dev/null; then
    echo "api: model loaded from $MODEL_URL"
else
    echo "api: model endpoint unreachable, using fallback"
fi
echo "api: listening on :8080 (revision ${REVISION:-unknown})"
exec httpd -f -v -p 8080 -h /www
