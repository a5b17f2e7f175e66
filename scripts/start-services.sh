#!/usr/bin/env bash
# Starts the message brokers and the object store that the backend test suite
# (platform/backendtest) runs against, each only if it is not already
# listening, and waits until each accepts connections. Safe to run again.
#
#   scripts/start-services.sh                 all of them
#   scripts/start-services.sh pubsub s3       only those named
#
# Services and where they listen:
#   nats      NATS with JetStream, 127.0.0.1:4222 (Debian's nats-server)
#   rabbitmq  RabbitMQ, 127.0.0.1:5672, guest/guest (Debian's rabbitmq-server)
#   pubsub    Google's Pub/Sub emulator from the Cloud SDK, 127.0.0.1:8085
#   s3        an S3-compatible server (gofakes3, built from the Go module
#             proxy), 127.0.0.1:9340, storing in one database file under the
#             state dir
#
# NATS and RabbitMQ are normally running already (the machine starts them);
# the emulator and the S3 server are started here, in the background, with
# their logs and data under $PIXMILL_SERVICES_DIR (default .cache/services).
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${PIXMILL_SERVICES_DIR:-$PWD/.cache/services}
PUBSUB_PORT=${PIXMILL_PUBSUB_PORT:-8085}
S3_PORT=${PIXMILL_S3_PORT:-9340}
GOFAKES3=github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0
mkdir -p "$STATE"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # name port seconds log
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		listening "$2" && { echo "$1: listening on 127.0.0.1:$2"; return 0; }
		sleep 0.2
	done
	echo "$1: not listening on 127.0.0.1:$2 after $3s" >&2
	[[ -n ${4:-} && -f $4 ]] && tail -n 30 "$4" >&2
	return 1
}

start_nats() {
	listening 4222 && { echo "nats: already running"; return 0; }
	command -v nats-server >/dev/null || { echo "nats: nats-server is not installed" >&2; return 1; }
	mkdir -p /var/lib/nats-server 2>/dev/null || true
	start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
		-a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
	wait_port nats 4222 20 /var/log/nats-server.log
}

start_rabbitmq() {
	listening 5672 && { echo "rabbitmq: already running"; return 0; }
	command -v rabbitmq-server >/dev/null || { echo "rabbitmq: rabbitmq-server is not installed" >&2; return 1; }
	rabbitmq-server -detached
	wait_port rabbitmq 5672 60
}

start_pubsub() {
	listening "$PUBSUB_PORT" && { echo "pubsub: already running"; return 0; }
	local sdk emulator
	sdk=$(dirname "$(dirname "$(readlink -f "$(command -v gcloud)")")") ||
		{ echo "pubsub: the Google Cloud SDK (gcloud) is not installed" >&2; return 1; }
	emulator=$sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
	[[ -x $emulator ]] || { echo "pubsub: $emulator is missing (gcloud components install pubsub-emulator)" >&2; return 1; }
	command -v java >/dev/null || { echo "pubsub: the emulator needs Java" >&2; return 1; }
	setsid nohup "$emulator" --host=127.0.0.1 --port="$PUBSUB_PORT" >"$STATE/pubsub.log" 2>&1 </dev/null &
	wait_port pubsub "$PUBSUB_PORT" 60 "$STATE/pubsub.log"
}

start_s3() {
	listening "$S3_PORT" && { echo "s3: already running"; return 0; }
	local bin=$STATE/bin/gofakes3
	if [[ ! -x $bin ]]; then
		GOBIN=$STATE/bin go install "$GOFAKES3"
	fi
	setsid nohup "$bin" -backend bolt -bolt.db "$STATE/s3.db" -host "127.0.0.1:$S3_PORT" -quiet \
		>"$STATE/s3.log" 2>&1 </dev/null &
	wait_port s3 "$S3_PORT" 30 "$STATE/s3.log"
}

services=("$@")
((${#services[@]})) || services=(nats rabbitmq pubsub s3)
status=0
for s in "${services[@]}"; do
	case $s in
	nats | rabbitmq | pubsub | s3) "start_$s" || status=1 ;;
	*) echo "unknown service $s (want nats, rabbitmq, pubsub or s3)" >&2; status=2 ;;
	esac
done
exit $status
