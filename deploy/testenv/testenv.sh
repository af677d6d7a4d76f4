#!/usr/bin/env bash
# testenv.sh starts and stops the real backends of flarewatch's tests on
# loopback: one KRaft Kafka node, one standalone Redis and a three-master
# Redis Cluster. No Docker: Kafka runs from jars that Maven fetches (see
# pom.xml) and Redis from Debian's redis-server package.
#
#   testenv.sh up      install what is missing, start what is not running,
#                      wait until every service answers
#   testenv.sh down    stop everything and remove the data directories
#   testenv.sh status  show what runs where; exits 3 when something is down
#   testenv.sh env     print the export lines of FLAREWATCH_TEST_*
#   testenv.sh kafka-stop     stop the Kafka node, keeping its data
#   testenv.sh kafka-start    start it again on the same data and port, and
#                             wait until it answers
#   testenv.sh kafka-restart  kafka-stop, then kafka-start
#
# kafka-stop and kafka-start are for the fault suite (deploy/faults): they
# disturb every test using Kafka at the time.
#
# State (data, logs, pid files, the env file) lives in deploy/testenv/.run,
# the Kafka jars and the readiness helper in deploy/testenv/.cache; both are
# git-ignored. TESTENV_READY_TIMEOUT (seconds, default 120) bounds the wait.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=$HERE/.cache
RUN=$HERE/.run
LIBS=$CACHE/kafka-libs
LOGS=$RUN/logs
ENV_FILE=$RUN/env
CLUSTER_DIRS=("$RUN"/redis-cluster-{1,2,3})
READY_TIMEOUT=${TESTENV_READY_TIMEOUT:-120}
STOP_TIMEOUT=30 # read by lib.sh's stop

LOG_NAME=testenv # read by lib.sh's log

# Logging, timing, ports and processes: shared with the other script.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- install ----------------------------------------------------------------

# apt_install PKG... installs Debian packages without letting their
# maintainer scripts start system services (systemd does not run here, and
# we start our own processes).
apt_install() {
  local policy=/usr/sbin/policy-rc.d own=0 ok=1
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own=1
  fi
  log "apt-get install $* (log: $LOGS/apt.log)"
  if ! apt-get update -qq >"$LOGS/apt.log" 2>&1 ||
    ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$LOGS/apt.log" 2>&1; then
    ok=0
  fi
  ((own)) && rm -f "$policy"
  if ((!ok)); then
    tail -n 20 "$LOGS/apt.log" >&2
    die "apt-get install $* failed"
  fi
}

# need_tools installs redis, a JRE and Maven when missing and the user is
# root; otherwise it says what to install.
need_tools() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v java >/dev/null || missing+=(default-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v go >/dev/null || die "go is not on PATH: install Go (see go.mod for the version)"
  if ((${#missing[@]})); then
    ((EUID == 0)) ||
      die "missing tools; install the Debian packages: sudo apt-get install -y ${missing[*]}"
    apt_install "${missing[@]}"
  fi
  java_17
}

# java_17 checks that java is version 17 or later, which Kafka 4 needs.
java_17() {
  local v major
  v=$(java -XshowSettings:properties -version 2>&1 |
    awk -F' = ' '/java.specification.version/ {print $2}')
  major=${v%%.*}
  ((${major:-0} >= 17)) || die "kafka 4 needs java 17 or later; java on PATH is ${v:-unknown}"
}

# --- maven ------------------------------------------------------------------

# fetch_kafka copies the broker's jars into LIBS unless the copy there was
# made from the same pom.xml.
fetch_kafka() {
  local key
  key=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
  if [[ -f $LIBS/.complete && $(<"$LIBS/.complete") == "$key" ]]; then
    log "kafka jars cached in $LIBS"
    return
  fi
  rm -rf "$LIBS" "$LIBS.tmp"
  mkdir -p "$CACHE"
  log "fetching kafka jars with maven (log: $LOGS/maven.log)"
  # TESTENV_MAVEN_ARGS adds options, e.g. -Dmaven.repo.local=DIR.
  # shellcheck disable=SC2086 # split on purpose
  if ! mvn -B -q -f "$HERE/pom.xml" ${TESTENV_MAVEN_ARGS:-} \
    dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$LIBS.tmp" >"$LOGS/maven.log" 2>&1; then
    tail -n 30 "$LOGS/maven.log" >&2
    die "maven could not fetch kafka (see $LOGS/maven.log)"
  fi
  mv "$LIBS.tmp" "$LIBS"
  echo "$key" >"$LIBS/.complete"
}

# --- redis ------------------------------------------------------------------

# redis_start DIR PORT [ARGS...] starts a daemonized redis-server whose
# data, pid file and port live in DIR.
redis_start() {
  local dir=$1 port=$2
  shift 2
  rm -rf "$dir" && mkdir -p "$dir"
  echo "$port" >"$dir/port"
  : >"$LOGS/${dir##*/}.log"
  redis-server --bind 127.0.0.1 --port "$port" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$LOGS/${dir##*/}.log" \
    --dir "$dir" --save '' --appendonly no "$@" ||
    die "redis-server on port $port did not start (see $LOGS)"
}

# redis_wait PORT... waits until each server answers PING.
redis_wait() {
  local port i
  for port in "$@"; do
    for ((i = 0; i < 100; i++)); do
      [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] && continue 2
      sleep 0.1
    done
    die "redis on port $port does not answer PING (see $LOGS)"
  done
}

# redis_up starts the standalone server unless it runs.
redis_up() {
  local dir=$RUN/redis-standalone port
  if alive "$dir/redis.pid" redis-server; then
    log "redis standalone running on port $(<"$dir/port")"
  else
    pick_port port 16379
    redis_start "$dir" "$port"
    redis_wait "$port"
  fi
}

# cluster_up starts and joins the three cluster nodes unless all run.
cluster_up() {
  local dir port ports=() running=0
  for dir in "${CLUSTER_DIRS[@]}"; do
    alive "$dir/redis.pid" redis-server && running=$((running + 1))
  done
  if ((running == 3)); then
    log "redis cluster running"
    return
  fi

  # A cluster is created from empty nodes only: restart all three.
  for dir in "${CLUSTER_DIRS[@]}"; do
    stop "$dir/redis.pid" redis-server
    pick_port port 17001 10000
    ports+=("$port")
    redis_start "$dir" "$port" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout 5000
  done
  redis_wait "${ports[@]}"

  # --cluster create waits (in one-second steps) until the nodes agree.
  redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 \
    --cluster-yes >"$LOGS/redis-cluster-create.log" 2>&1 ||
    { tail -n 20 "$LOGS/redis-cluster-create.log" >&2; die "redis-cli --cluster create failed"; }
}

# --- kafka ------------------------------------------------------------------

# kafka_config DIR PORT CONTROLLER_PORT writes the single node's config.
kafka_config() {
  local dir=$1 port=$2 cport=$3
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=false
# Tests produce archives stamped with past event times (replay, gen
# --stamp export); time-based retention would delete them under the test.
log.retention.ms=-1
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
message.max.bytes=4194304
replica.fetch.max.bytes=4194304
EOF
  # Logging goes on through shutdown (no log4j shutdown hook), so the log
  # shows why a stop was slow.
  cat >"$dir/log4j2.properties" <<'EOF'
status = warn
shutdownHook = disable
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
EOF
}

# kafka_up formats a fresh data directory and starts the node in the
# background, unless it runs.
kafka_up() {
  local dir=$RUN/kafka port cport id
  local java=(java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$LIBS/*")
  if alive "$dir/kafka.pid" kafka.Kafka; then
    log "kafka running on port $(<"$dir/port")"
    return
  fi

  rm -rf "$dir" && mkdir -p "$dir"
  pick_port port 19092
  pick_port cport $((port + 1))
  echo "$port" >"$dir/port"
  kafka_config "$dir" "$port" "$cport"

  # A random cluster id: 16 random bytes, base64url without padding. It may
  # start with "-", so it is passed as --cluster-id=ID, not as an argument.
  id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  "${java[@]}" kafka.tools.StorageTool format "--cluster-id=$id" \
    -c "$dir/server.properties" >"$LOGS/kafka-format.log" 2>&1 ||
    { tail -n 20 "$LOGS/kafka-format.log" >&2; die "kafka storage format failed"; }

  nohup "${java[@]}" kafka.Kafka "$dir/server.properties" \
    >"$LOGS/kafka.log" 2>&1 </dev/null &
  echo $! >"$dir/kafka.pid"
}

# --- env and readiness ------------------------------------------------------

# write_env writes the export lines of the running services' addresses.
write_env() {
  local c=() dir
  for dir in "${CLUSTER_DIRS[@]}"; do c+=("127.0.0.1:$(<"$dir/port")"); done
  cat >"$ENV_FILE" <<EOF
export FLAREWATCH_TEST_KAFKA=127.0.0.1:$(<"$RUN/kafka/port")
export FLAREWATCH_TEST_REDIS=127.0.0.1:$(<"$RUN/redis-standalone/port")
export FLAREWATCH_TEST_REDIS_CLUSTER=$(IFS=,; echo "${c[*]}")
EOF
}

# build_waitready builds the Go readiness helper (a no-op when cached).
build_waitready() {
  (cd "$ROOT" && go build -o "$CACHE/bin/waitready" ./deploy/testenv/cmd/waitready) ||
    die "could not build deploy/testenv/cmd/waitready"
}

# wait_ready runs the readiness helper against the addresses in ENV_FILE,
# and gives up at once if Kafka, the one service started in the
# background, exits meanwhile.
wait_ready() {
  local f wpid status=0
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  "$CACHE/bin/waitready" -timeout "${READY_TIMEOUT}s" -kafka "$FLAREWATCH_TEST_KAFKA" \
    -redis "$FLAREWATCH_TEST_REDIS" -redis-cluster "$FLAREWATCH_TEST_REDIS_CLUSTER" &
  wpid=$!
  while running "$wpid"; do
    if ! alive "$RUN/kafka/kafka.pid" kafka.Kafka; then
      kill "$wpid" 2>/dev/null || true
      log "kafka exited while starting"
      break
    fi
    sleep 0.2
  done
  wait "$wpid" || status=$?
  if ((status != 0)); then
    for f in kafka.log redis-standalone.log redis-cluster-1.log; do
      [[ -f $LOGS/$f ]] || continue
      log "--- last lines of $LOGS/$f"
      tail -n 15 "$LOGS/$f" >&2
    done
    die "backends not ready (logs in $LOGS; '$0 down' stops what did start)"
  fi
}

# --- subcommands ------------------------------------------------------------

cmd_up() {
  local t
  mkdir -p "$RUN" "$LOGS"
  log "state in $RUN, logs in $LOGS"

  t=$(now); need_tools; phase install "$t"
  t=$(now); fetch_kafka; phase "maven fetch" "$t"
  t=$(now); kafka_up; phase "kafka start" "$t"
  t=$(now); redis_up; cluster_up; phase "redis start" "$t"
  write_env
  t=$(now); build_waitready; phase "go build" "$t"
  t=$(now); wait_ready; phase ready "$t"
  cat "$ENV_FILE"
}

cmd_down() {
  local dir
  stop "$RUN/kafka/kafka.pid" kafka.Kafka
  for dir in "$RUN/redis-standalone" "${CLUSTER_DIRS[@]}"; do
    stop "$dir/redis.pid" redis-server
  done
  rm -rf "$RUN/kafka" "$RUN/redis-standalone" "${CLUSTER_DIRS[@]}" "$ENV_FILE"
  log "stopped; logs kept in $LOGS"
}

cmd_status() {
  local down=0 dir
  if alive "$RUN/kafka/kafka.pid" kafka.Kafka; then
    log "kafka            up   127.0.0.1:$(<"$RUN/kafka/port") pid $(<"$RUN/kafka/kafka.pid")"
  else
    log "kafka            down"; down=1
  fi
  for dir in "$RUN/redis-standalone" "${CLUSTER_DIRS[@]}"; do
    if alive "$dir/redis.pid" redis-server; then
      log "$(printf '%-16s' "${dir##*/}") up   127.0.0.1:$(<"$dir/port") pid $(<"$dir/redis.pid")"
    else
      log "$(printf '%-16s' "${dir##*/}") down"; down=1
    fi
  done
  log "logs in $LOGS"
  ((down == 0)) || exit 3
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "not up: run '$0 up' (or make testenv-up) first"
  cat "$ENV_FILE"
}

# --- kafka restarts (the fault suite) -----------------------------------------

# kafka_resume starts the node again on the data, port and configuration
# that kafka_up left in RUN/kafka. Nothing is formatted, so topics, committed
# offsets and groups survive. The JVM options are kafka_up's: keep them in
# step.
kafka_resume() {
  local dir=$RUN/kafka
  local java=(java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$LIBS/*")
  if alive "$dir/kafka.pid" kafka.Kafka; then
    log "kafka running on port $(<"$dir/port")"
    return
  fi
  [[ -f $dir/server.properties && -d $dir/data ]] ||
    die "no kafka data in $dir to start from: run '$0 up' first"
  [[ -f $LIBS/.complete ]] || die "no kafka jars in $LIBS: run '$0 up' first"
  nohup "${java[@]}" kafka.Kafka "$dir/server.properties" \
    >>"$LOGS/kafka.log" 2>&1 </dev/null &
  echo $! >"$dir/kafka.pid"
}

# wait_kafka waits until Kafka answers a metadata request, and gives up at
# once if it exits meanwhile.
wait_kafka() {
  local wpid status=0
  "$CACHE/bin/waitready" -timeout "${READY_TIMEOUT}s" -kafka "127.0.0.1:$(<"$RUN/kafka/port")" &
  wpid=$!
  while running "$wpid"; do
    if ! alive "$RUN/kafka/kafka.pid" kafka.Kafka; then
      kill "$wpid" 2>/dev/null || true
      log "kafka exited while starting"
      break
    fi
    sleep 0.2
  done
  wait "$wpid" || status=$?
  if ((status != 0)); then
    log "--- last lines of $LOGS/kafka.log"
    tail -n 15 "$LOGS/kafka.log" >&2
    die "kafka not ready (log: $LOGS/kafka.log)"
  fi
}

cmd_kafka_stop() {
  local t
  t=$(now)
  stop "$RUN/kafka/kafka.pid" kafka.Kafka
  phase "kafka stop" "$t"
}

cmd_kafka_start() {
  local t
  mkdir -p "$LOGS"
  t=$(now); kafka_resume; phase "kafka start" "$t"
  t=$(now); build_waitready; phase "go build" "$t"
  t=$(now); wait_kafka; phase ready "$t"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  kafka-stop) cmd_kafka_stop ;;
  kafka-start) cmd_kafka_start ;;
  kafka-restart) cmd_kafka_stop && cmd_kafka_start ;;
  *) die "usage: $0 up|down|status|env|kafka-stop|kafka-start|kafka-restart" ;;
esac
