#!/usr/bin/env bash
# Runs the calculator example as three processes: a standalone registry, a
# server that binds in it, and a client that looks the server up by name and
# calls it. Then it stops the server and the registry, on success, on error
# and on Ctrl-C alike.
#
# It builds the programs first and starts the binaries themselves: killing a
# `go run` stops only the go command, and the program it started would keep
# running, still bound to its port.
#
# Usage: examples/calculator/run.sh   (from anywhere in the repository)
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=$(mktemp -d)
registry_pid=
server_pid=
stop() {
	# The server first, so that it can unbind while the registry still runs.
	for pid in $server_pid $registry_pid; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

go build -o "$dir/" ./cmd/objregistry ./examples/calculator/server ./examples/calculator/client

# first_line FILE PREFIX PID prints what follows PREFIX on FILE's first
# line, once the program PID writing it has printed it (10 s at most).
first_line() {
	local line
	for _ in $(seq 100); do
		line=$(head -n 1 "$1")
		if [[ $line == "$2"* ]]; then
			echo "${line#"$2"}"
			return
		fi
		if ! kill -0 "$3" 2>/dev/null; then
			echo "run.sh: $(basename "$1" .out) exited before it was ready" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "run.sh: $(basename "$1" .out) printed no \"$2\" line within 10 s" >&2
	return 1
}

# Port 0: the registry takes a free port and prints its URL, so this never
# collides with a registry already on 1099.
"$dir/objregistry" serve --listen 127.0.0.1:0 >"$dir/registry.out" &
registry_pid=$!
registry_url=$(first_line "$dir/registry.out" "objregistry: serving " "$registry_pid")
echo "registry: $registry_url"

"$dir/server" -registry "$registry_url" >"$dir/server.out" &
server_pid=$!
calculator_url=$(first_line "$dir/server.out" "calculator bound as " "$server_pid")
echo "server: calculator bound as $calculator_url"

"$dir/client" -url "$calculator_url"
