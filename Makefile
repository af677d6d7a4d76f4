# Make targets of flarewatch. `make test` is what CI runs (.ci/run): it
# starts the real Kafka and Redis of deploy/testenv, runs every test against
# them and stops them again, whatever the tests' outcome.

SHELL := /bin/bash
TESTENV := deploy/testenv/testenv.sh
TESTENV_FILE := deploy/testenv/.run/env
SECURE := deploy/testenv/secure.sh
SECURE_FILE := deploy/testenv/.run/secure/env

# CI=true makes a missing backend variable fatal in the tests
# (see deploy/testenv); pass it through from the caller.
export CI

.PHONY: test test-short testenv-up testenv-down lint demo

## testenv-up: start Kafka, Redis, Redis Cluster, and the TLS/SASL Kafka and TLS Redis, on loopback (idempotent)
testenv-up:
	@$(TESTENV) up && $(SECURE) up

## testenv-down: stop them and remove their data
testenv-down:
	@$(SECURE) down; $(TESTENV) down

## test: testenv-up, go test -race on everything, testenv-down (only when it brought the services up); fails when the tests fail
#  The EXIT trap takes the services down on failure and on Ctrl-C too; the
#  shell still exits with the status of the step that failed.
test:
	@if $(TESTENV) status >/dev/null 2>&1 && $(SECURE) status >/dev/null 2>&1; then own=0; else own=1; fi; \
	if ((own)); then trap '$(SECURE) down; $(TESTENV) down' EXIT; fi; \
	$(TESTENV) up && $(SECURE) up && source $(TESTENV_FILE) && source $(SECURE_FILE) && \
	go test -race -count=1 ./... && \
	go test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 15s -fuzzminimizetime 1s ./stream/mde/

## test-short: embedded backends only (kfake, miniredis), no services started
#  The backend variables are cleared so a shell that exported them for
#  `make testenv-up` still gets the embedded run; tests needing a real
#  service skip.
test-short:
	FLAREWATCH_TEST_KAFKA= FLAREWATCH_TEST_REDIS= FLAREWATCH_TEST_REDIS_CLUSTER= \
	FLAREWATCH_TEST_KAFKA_SASL_SSL= FLAREWATCH_TEST_REDIS_TLS= CI= \
	go test -short ./...

## lint: gofmt and go vet
lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	go vet ./...

## demo: run the detector's demo
demo:
	go run ./cmd/flarewatch demo

## faults: the fault suite of deploy/faults (build tag faults) against the
#  real services: kill -9, rolling SIGTERM, Redis stopped, Kafka restarted,
#  poison messages, a rebalance storm, Redis Cluster, a Sentinel failover,
#  a flood of hashes; it prints a table of the results. It runs
#  `testenv.sh up` first; when
#  something was down before, it takes everything down again at the end (as
#  `make test` does), otherwise it leaves the running services alone.
.PHONY: faults
faults:
	@if $(TESTENV) status >/dev/null 2>&1; then own=0; else own=1; fi; \
	if ((own)); then trap '$(TESTENV) down' EXIT; fi; \
	$(TESTENV) up && source $(TESTENV_FILE) && \
	go test -tags faults -count=1 -v -timeout 20m ./deploy/faults/
