#!/usr/bin/env bash
# Build the production image with podman, run it and check it: bash scripts/podman_check.sh
# For a machine that can reach package registries but no container registry: the base is a
# Debian 12 made with debootstrap (python3, python3-venv), passed with --from in place of
# python:3.11-slim-bookworm, and trusts the host's CA bundle (for a TLS-inspecting proxy).
# Needs root; installs podman, runc and debootstrap with apt when missing.
# Checks: the build; the container runs as uid and gid 10001; `podman healthcheck run`;
# the page gzipped; every file it links 200, gzipped and immutable; then prints
# benchmarks/bench_wire.py's figures against the container (headless Chromium).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_env.sh

missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"

base="${BASE_IMAGE:-localhost/descent-lab-base:bookworm}"
image=localhost/descent-lab:check
# crun cannot start containers under a hybrid cgroup hierarchy; runc can.
podman_() { podman --runtime runc "$@"; }

if ! podman image exists "$base"; then
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3,ca-certificates \
        bookworm "$root" http://deb.debian.org/debian
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$root/etc/pip.conf"
    tar -C "$root" -c . | podman import - "$base"
fi

podman_ build --format docker --from "$base" -t "$image" .

port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
name="descent-lab-check-$$"
# Explicit limits: podman's defaults (raise nofile and nproc) are refused in a container
# without CAP_SYS_RESOURCE.
podman_ run -d --name "$name" --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
    -p "127.0.0.1:$port:8050" "$image" >/dev/null
cleanup() { podman_ rm -f "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

base_url="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
    curl -fsS "$base_url/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done
echo "user in the container: $(podman_ exec "$name" id)"
[ "$(podman_ exec "$name" id -u):$(podman_ exec "$name" id -g)" = "10001:10001" ]
podman_ healthcheck run "$name" && echo "healthcheck: healthy"

"$PY" - "$base_url" <<'PY'
import gzip, re, sys, urllib.request
base = sys.argv[1]
def get(path):
    request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.status, reply.headers, reply.read()
status, headers, body = get("/")
assert status == 200 and headers["Content-Encoding"] == "gzip", headers
urls = re.findall(r'(?:src|href)="(/[^"]+)"', gzip.decompress(body).decode())
for url in urls:
    status, headers, _ = get(url)
    assert status == 200, url
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable", (url, headers["Cache-Control"])
    if url.split("?")[0].endswith((".js", ".css")):
        assert headers["Content-Encoding"] == "gzip", url
print(f"page gzipped; {len(urls)} linked files: 200, immutable, JS and CSS gzipped")
PY
"$PY" benchmarks/bench_wire.py --url "$base_url"
