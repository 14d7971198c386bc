#!/bin/sh
set -eu
# good: everything the rules ask for
docker run -d --name api \
  --user 65532:65532 --read-only --tmpfs /tmp:size=64m \
  --security-opt no-new-privileges --cap-drop ALL \
  -m 256m --memory-swap 256m --cpus 0.5 --pids-limit 100 --storage-opt size=1G \
  --health-cmd "python3 -m app.health" --restart unless-stopped \
  --log-opt max-size=10m --log-opt max-file=3 \
  hardbake/python:3.13@sha256:4f0c27b4e5d5f1e3a1c2b3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718 python3 -m app

# bad: a CI runner with the host's keys
sudo docker run --rm -it --privileged -u root --network=host --pid host \
  -v /var/run/docker.sock:/var/run/docker.sock --cap-add ALL docker:24 sh

FOO=1 docker container run -dit -m512m --cpus=1 --read-only=false -uapp --ipc=host nginx:1.27 && echo started
