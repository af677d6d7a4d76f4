#!/usr/bin/env bash
# secure.sh starts and stops the secured backends of flarewatch's tests on
# loopback, beside those of testenv.sh: a second single-node KRaft Kafka
# with a SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and an SSL
# listener that requires a client certificate, and a Redis that speaks TLS
# only and admits one ACL user. Every start makes a throw-away CA, a server
# certificate for 127.0.0.1 and localhost, a client certificate and random
# passwords, for tests only.
#
#   secure.sh up      start both unless both run, wait until they answer
#   secure.sh down    stop both; remove data, certificates and passwords
#   secure.sh status  show what runs where; exits 3 when something is down
#   secure.sh env     print the export lines of FLAREWATCH_TEST_*:
#
#     FLAREWATCH_TEST_KAFKA_SASL_SSL   SASL_SSL listener, 127.0.0.1:PORT
#     FLAREWATCH_TEST_KAFKA_MTLS       SSL listener requiring a client cert
#     FLAREWATCH_TEST_KAFKA_USER       SASL user (PLAIN and both SCRAMs)
#     FLAREWATCH_TEST_KAFKA_PASSWORD   its password
#     FLAREWATCH_TEST_REDIS_TLS        TLS-only Redis, 127.0.0.1:PORT
#     FLAREWATCH_TEST_REDIS_USER       ACL user, allowed keys fw:* only
#     FLAREWATCH_TEST_REDIS_PASSWORD   its password
#     FLAREWATCH_TEST_TLS_DIR          ca.pem, client.pem, client-key.pem
#
# Kafka runs from the jars testenv.sh keeps in deploy/testenv/.cache; they
# are fetched the same way (same pom.xml, same cache key) when missing.
# Everything else lives in deploy/testenv/.run/secure (git-ignored); down
# keeps its logs/. The passwords are in the env file and the services' config
# files (mode 600), and on a command line only while kafka-storage format
# runs (--add-scram has no other form). SECURE_READY_TIMEOUT (seconds,
# default TESTENV_READY_TIMEOUT or 120) bounds the wait.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIBS=$HERE/.cache/kafka-libs
RUN=$HERE/.run/secure
LOGS=$RUN/logs
TLS=$RUN/tls
KDIR=$RUN/kafka
RDIR=$RUN/redis
ENV_FILE=$RUN/env
SECRETS=$RUN/secrets
USER_NAME=fw
READY_TIMEOUT=${SECURE_READY_TIMEOUT:-${TESTENV_READY_TIMEOUT:-120}}
STOP_TIMEOUT=30 # read by lib.sh's stop

LOG_NAME=secure # read by lib.sh's log

# Logging, timing, ports and processes: shared with the other script.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The command lines that identify our processes: the broker by its own
# config file (testenv.sh's broker runs kafka.Kafka too), Redis by name
# (its pid file is ours alone).
KAFKA_MATCH=$KDIR/server.properties
REDIS_MATCH=redis-server

# --- tools and jars ---------------------------------------------------------

# need_tools checks for what secure.sh runs; testenv.sh up installs all of
# it but openssl, which Debian ships in the base image.
need_tools() {
  local missing=() t v
  for t in openssl java redis-server redis-cli; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || die "missing ${missing[*]}: run deploy/testenv/testenv.sh up" \
    "(it installs them) or apt-get install openssl default-jre-headless redis-server redis-tools"
  v=$(java -XshowSettings:properties -version 2>&1 |
    awk -F' = ' '/java.specification.version/ {print $2}')
  v=${v%%.*}
  ((${v:-0} >= 17)) || die "kafka 4 needs java 17 or later; java on PATH is ${v:-unknown}"
}

# fetch_kafka makes sure LIBS holds the jars of pom.xml, fetching them the
# way testenv.sh does when they are missing or stale.
fetch_kafka() {
  local key
  key=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
  if [[ -f $LIBS/.complete && $(<"$LIBS/.complete") == "$key" ]]; then
    return
  fi
  command -v mvn >/dev/null || die "the kafka jars are missing: run deploy/testenv/testenv.sh up"
  rm -rf "$LIBS" "$LIBS.tmp"
  log "fetching kafka jars with maven (log: $LOGS/maven.log)"
  # shellcheck disable=SC2086 # TESTENV_MAVEN_ARGS is split on purpose
  if ! mvn -B -q -f "$HERE/pom.xml" ${TESTENV_MAVEN_ARGS:-} \
    dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$LIBS.tmp" >"$LOGS/maven.log" 2>&1; then
    tail -n 30 "$LOGS/maven.log" >&2
    die "maven could not fetch kafka (see $LOGS/maven.log)"
  fi
  mv "$LIBS.tmp" "$LIBS"
  echo "$key" >"$LIBS/.complete"
}

# --- certificates and passwords ---------------------------------------------

# leaf NAME SUBJECT signs a P-256 key NAME-key.pem into NAME.pem with the
# extensions of section NAME in openssl.cnf.
leaf() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS/$1-key.pem"
  openssl req -new -config "$TLS/openssl.cnf" -key "$TLS/$1-key.pem" -subj "$2" |
    openssl x509 -req -CA "$TLS/ca.pem" -CAkey "$TLS/ca-key.pem" \
      -set_serial "0x$(openssl rand -hex 8)" -days 30 \
      -extfile "$TLS/openssl.cnf" -extensions "$1" -out "$TLS/$1.pem" 2>/dev/null
}

# make_pki writes a throw-away CA, the server certificate (also the broker's
# client certificate towards itself, hence clientAuth), a client
# certificate for the tests, the broker's PKCS12 keystore, and passwords.
make_pki() {
  rm -rf "$TLS" && mkdir -p "$TLS" && chmod 700 "$TLS"
  cat >"$TLS/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
EOF
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS/ca-key.pem"
  openssl req -x509 -new -config "$TLS/openssl.cnf" -extensions ca \
    -key "$TLS/ca-key.pem" -subj "/CN=flarewatch test CA" -days 30 -out "$TLS/ca.pem"
  leaf server /CN=localhost
  leaf client "/CN=$USER_NAME"

  (umask 077 && cat >"$SECRETS" <<EOF
KAFKA_PASSWORD=$(openssl rand -hex 16)
REDIS_PASSWORD=$(openssl rand -hex 16)
STORE_PASSWORD=$(openssl rand -hex 16)
EOF
  )
  # shellcheck disable=SC1090
  source "$SECRETS"

  # Java 17 reads OpenSSL 3's PKCS12 (AES-256, PBKDF2). The truststore is
  # ca.pem itself (ssl.truststore.type=PEM): OpenSSL 3.0 cannot mark a
  # certificate as trusted for Java in a PKCS12 file (-jdktrust is 3.2+).
  STORE_PASSWORD=$STORE_PASSWORD openssl pkcs12 -export -name kafka \
    -in "$TLS/server.pem" -inkey "$TLS/server-key.pem" -certfile "$TLS/ca.pem" \
    -out "$TLS/kafka.p12" -passout env:STORE_PASSWORD
}

# --- kafka ------------------------------------------------------------------

# kafka_config PORT MTLS_PORT CONTROLLER_PORT writes the node's config.
kafka_config() {
  local port=$1 mport=$2 cport=$3
  (umask 077 && cat >"$KDIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=SASL_SSL://127.0.0.1:$port,SSL://127.0.0.1:$mport,CONTROLLER://127.0.0.1:$cport
advertised.listeners=SASL_SSL://127.0.0.1:$port,SSL://127.0.0.1:$mport
inter.broker.listener.name=SSL
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_SSL:SASL_SSL,SSL:SSL,CONTROLLER:PLAINTEXT

sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$USER_NAME="$KAFKA_PASSWORD";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;

ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS/kafka.p12
ssl.keystore.password=$STORE_PASSWORD
ssl.key.password=$STORE_PASSWORD
ssl.truststore.type=PEM
ssl.truststore.location=$TLS/ca.pem
listener.name.ssl.ssl.client.auth=required

log.dirs=$KDIR/data
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  )
  cat >"$KDIR/log4j2.properties" <<'EOF'
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

# kafka_start formats a fresh data directory, with the SCRAM credentials,
# and starts the node in the background.
kafka_start() {
  local port mport cport id m scram=()
  local java=(java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$KDIR/log4j2.properties" -cp "$LIBS/*")
  rm -rf "$KDIR" && mkdir -p "$KDIR"
  pick_port port 29092
  pick_port mport $((port + 1))
  pick_port cport $((mport + 1))
  echo "$port $mport" >"$KDIR/ports"
  kafka_config "$port" "$mport" "$cport"

  for m in SCRAM-SHA-256 SCRAM-SHA-512; do
    scram+=(--add-scram "$m=[name=$USER_NAME,password=$KAFKA_PASSWORD]")
  done
  # The cluster id may start with "-": pass it as --cluster-id=ID.
  id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  "${java[@]}" kafka.tools.StorageTool format "--cluster-id=$id" \
    -c "$KDIR/server.properties" "${scram[@]}" >"$LOGS/kafka-format.log" 2>&1 ||
    { tail -n 20 "$LOGS/kafka-format.log" >&2; die "kafka storage format failed"; }

  nohup "${java[@]}" kafka.Kafka "$KDIR/server.properties" \
    >"$LOGS/kafka.log" 2>&1 </dev/null &
  echo $! >"$KDIR/kafka.pid"
}

# --- redis ------------------------------------------------------------------

# redis_start starts a daemonized redis-server listening on TLS only, with
# the default user off and one user limited to the keys fw:*.
redis_start() {
  local port i
  rm -rf "$RDIR" && mkdir -p "$RDIR"
  pick_port port 26479
  echo "$port" >"$RDIR/port"
  : >"$LOGS/redis.log"
  (umask 077 && cat >"$RDIR/redis.conf" <<EOF
bind 127.0.0.1
port 0
tls-port $port
tls-cert-file $TLS/server.pem
tls-key-file $TLS/server-key.pem
tls-ca-cert-file $TLS/ca.pem
tls-auth-clients optional
daemonize yes
pidfile $RDIR/redis.pid
logfile $LOGS/redis.log
dir $RDIR
save ""
appendonly no
user default off
user $USER_NAME on >$REDIS_PASSWORD ~$USER_NAME:* &* +@all
EOF
  )
  redis-server "$RDIR/redis.conf" ||
    { tail -n 15 "$LOGS/redis.log" >&2; die "redis-server on port $port did not start"; }

  # The daemon writes its pid file just after the fork; alive needs it.
  for ((i = 0; i < 50; i++)); do
    [[ -s $RDIR/redis.pid ]] && return
    sleep 0.1
  done
  tail -n 15 "$LOGS/redis.log" >&2
  die "redis-server on port $port wrote no pid file"
}

# --- env and readiness ------------------------------------------------------

write_env() {
  local kports
  read -ra kports <"$KDIR/ports"
  (umask 077 && cat >"$ENV_FILE" <<EOF
export FLAREWATCH_TEST_KAFKA_SASL_SSL=127.0.0.1:${kports[0]}
export FLAREWATCH_TEST_KAFKA_MTLS=127.0.0.1:${kports[1]}
export FLAREWATCH_TEST_KAFKA_USER=$USER_NAME
export FLAREWATCH_TEST_KAFKA_PASSWORD=$KAFKA_PASSWORD
export FLAREWATCH_TEST_REDIS_TLS=127.0.0.1:$(<"$RDIR/port")
export FLAREWATCH_TEST_REDIS_USER=$USER_NAME
export FLAREWATCH_TEST_REDIS_PASSWORD=$REDIS_PASSWORD
export FLAREWATCH_TEST_TLS_DIR=$TLS
EOF
  )
}

# tls_ok PORT [OPENSSL_ARGS...] succeeds when a TLS handshake with
# 127.0.0.1:PORT verifies the server certificate against the test CA.
tls_ok() {
  local port=$1
  shift
  timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$TLS/ca.pem" \
    -verify_return_error -verify_ip 127.0.0.1 "$@" </dev/null >/dev/null 2>&1
}

# redis_ok succeeds when the ACL user's PING over TLS answers PONG.
redis_ok() {
  [[ $(REDISCLI_AUTH=$REDIS_PASSWORD timeout 10 redis-cli --tls --cacert "$TLS/ca.pem" \
    -h 127.0.0.1 -p "$(<"$RDIR/port")" --user "$USER_NAME" ping 2>/dev/null) == PONG ]]
}

# not_ready prints what is not ready yet, nothing when all is.
not_ready() {
  local kports
  read -ra kports <"$KDIR/ports"
  if ! grep -qF 'Kafka Server started' "$LOGS/kafka.log"; then
    echo "kafka has not logged 'Kafka Server started'"
  elif ! tls_ok "${kports[0]}"; then
    echo "kafka SASL_SSL listener 127.0.0.1:${kports[0]}: no verified TLS handshake"
  elif ! tls_ok "${kports[1]}" -cert "$TLS/client.pem" -key "$TLS/client-key.pem"; then
    echo "kafka SSL listener 127.0.0.1:${kports[1]}: no verified mutual TLS handshake"
  fi
  redis_ok || echo "redis 127.0.0.1:$(<"$RDIR/port"): no PONG over TLS as $USER_NAME"
}

# wait_ready polls until not_ready is silent; it gives up at the deadline or
# at once when a process exits, with the reasons and the logs' tails.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) why f
  while true; do
    why=$(not_ready)
    [[ -z $why ]] && return
    alive "$KDIR/kafka.pid" "$KAFKA_MATCH" || why+=$'\nkafka exited'
    alive "$RDIR/redis.pid" "$REDIS_MATCH" || why+=$'\nredis exited'
    if [[ $why == *exited* ]] || ((SECONDS >= deadline)); then
      for f in kafka.log redis.log; do
        [[ -f $LOGS/$f ]] || continue
        log "--- last lines of $LOGS/$f"
        tail -n 15 "$LOGS/$f" >&2
      done
      log "not ready after $((SECONDS - deadline + READY_TIMEOUT))s:"
      printf '  %s\n' "$why" >&2
      die "secured backends not ready (logs in $LOGS; '$0 down' stops what did start)"
    fi
    sleep 0.2
  done
}

# --- subcommands ------------------------------------------------------------

both_alive() {
  alive "$KDIR/kafka.pid" "$KAFKA_MATCH" && alive "$RDIR/redis.pid" "$REDIS_MATCH" &&
    [[ -f $ENV_FILE ]]
}

stop_all() {
  stop "$KDIR/kafka.pid" "$KAFKA_MATCH"
  stop "$RDIR/redis.pid" "$REDIS_MATCH"
}

cmd_up() {
  local t
  mkdir -p "$RUN" "$LOGS"
  if both_alive; then
    log "running (state in $RUN)"
    cat "$ENV_FILE"
    return
  fi
  log "state in $RUN, logs in $LOGS"
  need_tools

  # Both share the CA and the passwords made here: restart both.
  stop_all
  t=$(now); fetch_kafka; phase "kafka jars" "$t"
  t=$(now); make_pki; phase "pki" "$t"
  t=$(now); kafka_start; phase "kafka start" "$t"
  t=$(now); redis_start; phase "redis start" "$t"
  write_env
  t=$(now); wait_ready; phase ready "$t"
  cat "$ENV_FILE"
}

cmd_down() {
  stop_all
  rm -rf "$KDIR" "$RDIR" "$TLS" "$SECRETS" "$ENV_FILE"
  log "stopped; logs kept in $LOGS"
}

cmd_status() {
  local down=0
  if alive "$KDIR/kafka.pid" "$KAFKA_MATCH"; then
    log "kafka  up   ports $(<"$KDIR/ports") (SASL_SSL, SSL) pid $(<"$KDIR/kafka.pid")"
  else
    log "kafka  down"; down=1
  fi
  if alive "$RDIR/redis.pid" "$REDIS_MATCH"; then
    log "redis  up   tls port $(<"$RDIR/port") pid $(<"$RDIR/redis.pid")"
  else
    log "redis  down"; down=1
  fi
  log "logs in $LOGS"
  ((down == 0)) || exit 3
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "not up: run '$0 up' first"
  cat "$ENV_FILE"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) die "usage: $0 up|down|status|env" ;;
esac
