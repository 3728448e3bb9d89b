# What the load, exchange-load and soak scripts share; each sources it after `cd`-ing to the
# repository. Sets $work (a scratch folder, removed on exit with every server started here).

# wrk, from the distribution's packages.
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq wrk
    else
        echo "wrk is needed: apt-get install wrk" >&2; exit 1
    fi
fi

# The Python venv with PyJWT, for scripts that sign ID tokens.
need_venv() {
    venv=${VENV:-.venv}
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements.txt
}

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# start LOG COMMAND...: starts a server, waits for its "listening on" line, sets $url and $pid.
# Its stdout goes to LOG.out; its stderr is appended to LOG.err (kept across restarts).
start() {
    local log=$1; shift
    "$@" > "$log.out" 2>> "$log.err" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        url=$(sed -n 's/^listening on //p' "$log.out")
        [ -n "$url" ] && return
        sleep 0.1
    done
    echo "server did not start: $(cat "$log.err")" >&2; exit 1
}

# run NAME WRK-ARGS...: runs wrk, prints "req/s p50 p90 p99 non-2xx" (latencies in ms).
run() {
    local name=$1; shift
    wrk --latency "$@" > "$work/$name.wrk"
    awk '
        function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
        /Requests\/sec/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) } $1 == "90%" { p90 = ms($2) } $1 == "99%" { p99 = ms($2) }
        /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.3f %.3f %.3f %d\n", rps, p50, p90, p99, bad }' "$work/$name.wrk"
}
