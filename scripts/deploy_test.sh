#!/usr/bin/env bash
# What operators deploy, tested as they run it, on the loopback (--network host):
#
# The container image, built from the Dockerfile (its base images are local stand-ins made from
# Debian's packages, scripts/docker_bases.sh), run read-only as its non-root user:
#   - on SQLite in a volume: a password login and a refresh; the health check; SIGTERM turns
#     /readyz to 503, then the server exits 0;
#   - two containers on one PostgreSQL: a session made on one refreshes on the other.
#
# The systemd unit (deploy/twilio-token.service), with the image's binary, under systemd
# booted in a container: `systemd-analyze verify` and `security`; a user added as the unit's
# comment says; start, a login and a refresh as the dynamic user under the sandbox;
# `systemctl reload`; `systemctl stop` drains and exits 0.
#
# Also parses the fleet example (deploy/compose.yaml and haproxy.cfg).
#
# Installs what it needs (Debian's docker.io, debootstrap, docker-compose and haproxy) and starts a Docker engine
# (dockerd --bridge=none --iptables=false) when none answers; stops the engine it started.
# Fails, saying why, where no engine can run. TWILIO_TOKEN_TEST_POSTGRES names a PostgreSQL
# to use; otherwise scripts/postgres.sh starts one.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
fail() {
    echo "docker_test: $*" >&2
    exit 1
}

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null ||
    ! command -v docker-compose >/dev/null || ! command -v haproxy >/dev/null; then
    [ "$(id -u)" = 0 ] || fail "needs Debian's docker.io, debootstrap, docker-compose and haproxy: run as root or install them"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap docker-compose haproxy >/dev/null
fi
# The engine's own client (another on the PATH may speak a newer API than it).
docker=/usr/bin/docker
[ -x "$docker" ] || docker=docker
export DOCKER=$docker

work=$(mktemp -d)
engine=
containers=()
cleanup() {
    for c in "${containers[@]}"; do "$docker" rm -f "$c" >/dev/null 2>&1 || true; done
    "$docker" volume rm -f "twilio-token-test-$$" >/dev/null 2>&1 || true
    if [ -n "${pgdir:-}" ]; then
        bash scripts/postgres.sh stop "$pgdir" >/dev/null 2>&1 || true
        rm -rf "$pgdir"
    fi
    if [ -n "$engine" ]; then
        kill "$engine" 2>/dev/null && wait "$engine" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if ! "$docker" info >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || fail "no Docker engine answers, and only root can start one"
    # No bridge and no iptables: containers use the host's network, and only its loopback here.
    dockerd --bridge=none --iptables=false --ip6tables=false >"$work/dockerd.log" 2>&1 &
    engine=$!
    for _ in $(seq 60); do
        "$docker" info >/dev/null 2>&1 && break
        kill -0 "$engine" 2>/dev/null || { tail -20 "$work/dockerd.log" >&2; fail "the Docker engine did not start"; }
        sleep 0.5
    done
    "$docker" info >/dev/null 2>&1 || { tail -20 "$work/dockerd.log" >&2; fail "the Docker engine did not answer in 30 s"; }
fi

echo "== the fleet example: compose file and load balancer configuration"
POSTGRES_PASSWORD=x TWILIO_ACCOUNT_SID=x TWILIO_API_KEY_SID=x TWILIO_API_KEY_SECRET=x \
    docker-compose -f deploy/compose.yaml config -q || fail "deploy/compose.yaml does not parse"
haproxy -c -q -f deploy/haproxy.cfg || fail "deploy/haproxy.cfg does not parse"

echo "== base images (stand-ins from Debian's packages)"
bash scripts/docker_bases.sh >/dev/null

echo "== docker build"
image=twilio-token:test
DOCKER_BUILDKIT=1 "$docker" build --quiet --network host \
    --build-arg RUST_IMAGE=twilio-token-bases/rust:bookworm \
    --build-arg RUNTIME_IMAGE=twilio-token-bases/cc:debian12 \
    -t "$image" . >/dev/null
size=$("$docker" image inspect --format '{{.Size}}' "$image")
echo "image: $((size / 1000000)) MB"
[ "$size" -lt 40000000 ] || fail "the image is $size bytes, over 40 MB"
[ "$("$docker" image inspect --format '{{.Config.User}}' "$image")" = 65532:65532 ] || fail "the image does not run as 65532"

account=AC$(printf 'a%.0s' $(seq 32)) key=SK$(printf 'b%.0s' $(seq 32)) secret=docker-test-secret
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# A container as the documentation runs it: read-only, the image's user, host network.
run() {
    "$docker" run --read-only --network host -e TWILIO_ACCOUNT_SID="$account" \
        -e TWILIO_API_KEY_SID="$key" -e TWILIO_API_KEY_SECRET="$secret" "$@"
}
start() { # NAME PORT [docker run options...]
    local name=$1 port=$2
    shift 2
    containers+=("$name")
    run -d --name "$name" -e TWILIO_TOKEN_BIND="127.0.0.1:$port" -e TWILIO_TOKEN_DRAIN_SECONDS=3 \
        "$@" "$image" >/dev/null
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && return
        [ "$("$docker" inspect --format '{{.State.Running}}' "$name")" = true ] || break
        sleep 0.1
    done
    "$docker" logs "$name" >&2
    fail "$name did not become ready on port $port"
}
# Logs alice in at PORT; prints the session cookie (name=value).
login() {
    curl -sS -D "$work/headers" -o "$work/body" -w '%{http_code}' -H 'content-type: application/json' \
        -d '{"username": "alice", "password": "container password"}' "http://127.0.0.1:$1/token" >"$work/status"
    [ "$(cat "$work/status")" = 200 ] || fail "login at port $1: $(cat "$work/status") $(cat "$work/body")"
    identity_of "$work/body" >/dev/null
    sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\);.*/\1/p' "$work/headers" | head -n1
}
# Refreshes at PORT with COOKIE; checks the token.
refresh() {
    local status
    status=$(curl -sS -o "$work/body" -w '%{http_code}' -X POST -H "Cookie: $2" "http://127.0.0.1:$1/token")
    [ "$status" = 200 ] || fail "refresh at port $1: $status $(cat "$work/body")"
    identity_of "$work/body" >/dev/null
}
# Waits up to a second for /readyz at PORT to answer 503 after WHAT told the server to stop.
draining() {
    local status=
    for _ in $(seq 20); do
        status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")
        [ "$status" = 503 ] && return
        sleep 0.05
    done
    fail "/readyz answered $status after $2, not 503"
}
# The identity in a /token answer, after verifying its token with the secret.
identity_of() {
    local token identity
    token=$(jq -r .token "$1")
    identity=$("$docker" run --rm --read-only --network none "$image" decode --secret "$secret" "$token" |
        jq -r .payload.grants.identity)
    [ "$identity" = alice ] || fail "the token is for ${identity:-nobody}, not alice"
    echo "$identity"
}

echo "== SQLite in a volume, read-only root, non-root user"
volume=twilio-token-test-$$
"$docker" volume create "$volume" >/dev/null
echo "container password" | run --rm -i -v "$volume:/data" "$image" users add alice --password-stdin >/dev/null
port=$(free_port)
start tt-sqlite-$$ "$port" -v "$volume:/data"
pid=$("$docker" inspect --format '{{.State.Pid}}' "tt-sqlite-$$")
[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 65532 ] || fail "the server does not run as uid 65532"
[ "$pid" != 0 ] && [ "$(cat "/proc/$pid/comm")" = twilio-token ] || fail "the server is not the container's PID 1"
cookie=$(login "$port")
[ -n "$cookie" ] || fail "the login set no session cookie"
refresh "$port" "$cookie"
echo "login and refresh: ok"
"$docker" exec "tt-sqlite-$$" /usr/local/bin/twilio-token health >/dev/null || fail "health failed on a ready server"
for _ in $(seq 60); do
    health=$("$docker" inspect --format '{{.State.Health.Status}}' "tt-sqlite-$$")
    [ "$health" = healthy ] && break
    sleep 0.5
done
[ "$health" = healthy ] || fail "the health check says $health"
echo "health check: $health"

"$docker" kill --signal TERM "tt-sqlite-$$" >/dev/null
told=$(date +%s%N)
draining "$port" "SIGTERM"
refresh "$port" "$cookie" # still served through the drain
code=$("$docker" wait "tt-sqlite-$$")
took=$((($(date +%s%N) - told) / 1000000))
[ "$code" = 0 ] || { "$docker" logs "tt-sqlite-$$" >&2; fail "exit status $code after SIGTERM"; }
[ "$took" -ge 2500 ] || fail "exited $took ms after SIGTERM, before the 3 s drain"
echo "SIGTERM: /readyz 503, served through the drain, exit 0 after $took ms"

echo "== two containers on one PostgreSQL"
postgres=${TWILIO_TOKEN_TEST_POSTGRES:-}
if [ -z "$postgres" ]; then
    pgdir=$(mktemp -d)
    postgres=$(bash scripts/postgres.sh start "$pgdir")
fi
echo "container password" | run --rm -i -e DATABASE_URL="$postgres" "$image" users add alice --password-stdin >/dev/null ||
    echo "container password" | run --rm -i -e DATABASE_URL="$postgres" "$image" users passwd alice --password-stdin >/dev/null
port_a=$(free_port)
start tt-a-$$ "$port_a" -e DATABASE_URL="$postgres"
port_b=$(free_port)
start tt-b-$$ "$port_b" -e DATABASE_URL="$postgres"
cookie=$(login "$port_a")
refresh "$port_b" "$cookie"
echo "a session made on one container refreshes on the other: ok"
for c in "tt-a-$$" "tt-b-$$"; do
    "$docker" stop --time 20 "$c" >/dev/null
    [ "$("$docker" inspect --format '{{.State.ExitCode}}' "$c")" = 0 ] || fail "$c did not exit 0"
done

echo "== the systemd unit, under systemd in a container"
cid=$("$docker" create "$image")
"$docker" cp "$cid:/usr/local/bin/twilio-token" "$work/twilio-token" >/dev/null
"$docker" rm "$cid" >/dev/null
port=$(free_port)
install -m 0600 /dev/null "$work/twilio-token.env"
printf '%s\n' "TWILIO_ACCOUNT_SID=$account" "TWILIO_API_KEY_SID=$key" "TWILIO_API_KEY_SECRET=$secret" \
    "TWILIO_TOKEN_BIND=127.0.0.1:$port" "TWILIO_TOKEN_DRAIN_SECONDS=3" >"$work/twilio-token.env"
vm=tt-vm-$$
containers+=("$vm")
# systemd as PID 1 needs the capabilities to mount and the cgroup tree; --privileged would ask
# for CAP_SYS_RESOURCE too, which some sandboxes withhold and systemd does without.
"$docker" run -d --name "$vm" --network host --cgroupns=host --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    -v "$work/twilio-token:/usr/local/bin/twilio-token:ro" \
    -v "$PWD/deploy/twilio-token.service:/etc/systemd/system/twilio-token.service:ro" \
    -v "$work/twilio-token.env:/etc/twilio-token/twilio-token.env:ro" \
    twilio-token-bases/systemd:bookworm /lib/systemd/systemd >/dev/null
in_vm() { "$docker" exec -i "$vm" "$@"; }
state=
for _ in $(seq 60); do
    state=$(in_vm systemctl is-system-running 2>/dev/null || true)
    case $state in running | degraded) break ;; esac
    sleep 0.5
done
case $state in running | degraded) ;; *) fail "systemd did not boot: ${state:-no answer}" ;; esac
in_vm systemd-analyze verify /etc/systemd/system/twilio-token.service || fail "systemd-analyze verify failed"
exposure=$(in_vm systemd-analyze security --no-pager twilio-token.service |
    sed -n 's/.*exposure level for twilio-token.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze verify: ok; security: exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || fail "exposure ${exposure:-unknown}, over 2.0"
# As the unit's comment says: the service's dynamic user and state directory, for one command.
echo "container password" | in_vm systemd-run --quiet --wait --pipe -p DynamicUser=yes -p User=twilio-token \
    -p StateDirectory=twilio-token -E DATABASE_URL=sqlite:///var/lib/twilio-token/twilio-token.db \
    /usr/local/bin/twilio-token users add alice --password-stdin >/dev/null || fail "users add through systemd-run failed"
in_vm systemctl start twilio-token
for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] && break
    sleep 0.1
done
main=$(in_vm systemctl show -p MainPID --value twilio-token)
status=$(in_vm cat "/proc/$main/status")
uid=$(echo "$status" | awk '/^Uid:/ {print $2}')
[ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] || fail "the service runs as uid $uid, not a dynamic user"
echo "$status" | grep -q '^NoNewPrivs:[[:space:]]*1' || fail "the service may gain privileges"
echo "$status" | grep -q '^Seccomp:[[:space:]]*2' || fail "the service has no system-call filter"
cookie=$(login "$port")
refresh "$port" "$cookie"
echo "as dynamic user $uid, sandboxed: login and refresh ok"
in_vm systemctl reload twilio-token
in_vm journalctl -u twilio-token --no-pager | grep -q "reloaded the API keys" || fail "systemctl reload did not reload"
[ "$(in_vm systemctl show -p MainPID --value twilio-token)" = "$main" ] || fail "systemctl reload restarted the server"
refresh "$port" "$cookie"
in_vm systemctl stop --no-block twilio-token
draining "$port" "systemctl stop"
for _ in $(seq 100); do
    [ "$(in_vm systemctl is-active twilio-token || true)" = inactive ] && break
    sleep 0.1
done
result=$(in_vm systemctl show -p Result --value twilio-token)
code=$(in_vm systemctl show -p ExecMainStatus --value twilio-token)
[ "$result" = success ] && [ "$code" = 0 ] || fail "systemctl stop: result $result, exit status $code"
echo "systemctl reload: reloaded in place; systemctl stop: drained, exit 0"

echo "deploy test passed in $(($(date +%s) - started)) s"
