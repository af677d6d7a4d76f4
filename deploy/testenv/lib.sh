# shellcheck shell=bash
# Shell helpers shared by testenv.sh and secure.sh: logging and timing,
# free loopback ports, and our own processes told apart from recycled pids.
# Sourced, not run; the sourcing script sets LOG_NAME and STOP_TIMEOUT.

log() { printf '%s: %s\n' "$LOG_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$LOG_NAME" "$*" >&2; exit 1; }

# now prints the wall clock in milliseconds.
now() { date +%s%3N; }

# phase NAME START prints how long the phase NAME took since START.
phase() {
  local ms=$(($(now) - $2))
  log "$(printf '%-12s %4d.%01ds' "$1" $((ms / 1000)) $((ms % 1000 / 100)))"
}

# CLAIMED lists the ports this run has picked, so two picks never collide.
CLAIMED=" "

# port_busy reports whether something listens on 127.0.0.1:$1 (any address).
port_busy() {
  if command -v ss >/dev/null 2>&1; then
    [[ -n $(ss -ltnH "sport = :$1" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# pick_port VAR START [BUS_OFFSET] sets VAR to the first port from START on
# that is free and not yet claimed by this run; with BUS_OFFSET,
# port+BUS_OFFSET (Redis Cluster's bus port) must be free too.
pick_port() {
  local -n picked=$1
  local p=$2 bus=${3:-0}
  for ((; p < $2 + 500; p++)); do
    [[ $CLAIMED == *" $p "* ]] && continue
    port_busy "$p" && continue
    if ((bus)); then
      port_busy $((p + bus)) && continue
    fi
    CLAIMED+="$p "
    # shellcheck disable=SC2034 # picked is the caller's variable
    picked=$p
    return
  done
  die "no free loopback port in $2-$(($2 + 499))"
}

# running PID succeeds while PID exists and is not a zombie: our daemons are
# reparented, and their new parent may take a while to reap them.
running() {
  local state
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# alive PIDFILE MATCH succeeds when the pid in PIDFILE runs a command line
# containing MATCH, so a recycled pid is never taken for ours.
alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"
}

# stop PIDFILE MATCH sends SIGTERM, waits up to STOP_TIMEOUT, then SIGKILL.
stop() {
  local pid i
  if ! alive "$1" "$2"; then
    rm -f "$1"
    return
  fi
  pid=$(<"$1")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    running "$pid" || break
    sleep 0.1
  done
  if running "$pid"; then
    log "pid $pid ($2) ignored SIGTERM for ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}
