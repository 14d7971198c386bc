# The DHI article's "Maximum security container limits", as published: the comment lines
# inside the backslash continuation end the command, so the shell runs `docker run` alone.
docker run \
# Resource limits
-m 256m --memory-swap=256m \
--cpus="0.25" \
--pids-limit=50 \
\
# Storage limits
--read-only \
--tmpfs /tmp:size=50m,noexec,nosuid,nodev \
--storage-opt size=1G \
\
# Security options
--security-opt no-new-privileges:true \
--cap-drop=ALL \
--user 1001:1001 \
\
# Network limits
--network none \
\
docker.io/docker/node:20-alpine-hardened
