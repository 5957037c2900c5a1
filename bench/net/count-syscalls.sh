#!/bin/bash
# System calls per request of the example servers, natively and under kwasm-jit, for every
# `npm run bench:net` case (bench/results/net-syscalls.md). Counted with perf's syscall tracepoints
# on the running server (no ptrace, so the server's batching is not changed the way strace -c
# changes it); needs perf, root (or perf_event_paranoid <= -1) and tracefs. Run `npm run bench:net`
# once first: it builds the servers and the echo client into build/bench/net.
# usage: bench/net/count-syscalls.sh native|kwasm [MS per case, default 1000] [kwasm-jit checkout, default this one]
set -u
RUNNER=$1; MS=${2:-1000}
HERE=$(cd "$(dirname "$0")/../.." && pwd); REPO=${3:-$HERE}; B=$HERE/build/bench/net
ROOT=$(mktemp -d); trap 'rm -rf "$ROOT"' EXIT
echo 'hello from a file' > "$ROOT/small.txt"; head -c 65536 /dev/zero | tr '\0' x > "$ROOT/big.bin"
EVENTS=raw_syscalls:sys_enter
for s in poll ppoll epoll_wait epoll_ctl ioctl recvfrom sendto read write readv writev accept4 setsockopt close openat openat2 newfstat newfstatat pread64 futex mmap munmap mprotect; do
  EVENTS=$EVENTS,syscalls:sys_enter_$s
done
one() { # kind conns size|path
  local port=$((20000 + RANDOM % 20000)) sp stp out n
  case "$RUNNER-$1" in
    native-echo) "$B/echo" 127.0.0.1:$port & ;;
    kwasm-echo) node "$REPO/bin/kwasm-jit.js" run --tcplisten 127.0.0.1:$port "$B/echo.wasm" & ;;
    native-http) "$B/httpd" "$ROOT" 127.0.0.1:$port & ;;
    kwasm-http) node "$REPO/bin/kwasm-jit.js" run --tcplisten 127.0.0.1:$port --dir "$ROOT::/www" "$B/httpd.wasm" /www & ;;
  esac
  sp=$!
  for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  sleep 0.5 # start-up over: only the steady state is counted
  perf stat -x, -e "$EVENTS" -p $sp -o "$ROOT/perf" & stp=$!
  sleep 0.3
  if [ "$1" = echo ]; then out=$("$B/echo-load" $port $2 $3 $MS); n=$(echo "$out" | sed 's/.*"n":\([0-9]*\).*/\1/')
  else out=$(wrk -t1 -c$2 -d$(( (MS + 999) / 1000 ))s http://127.0.0.1:$port$3); n=$(echo "$out" | awk '/requests in/{print $1}'); fi
  sleep 0.2
  kill -INT $stp; wait $stp 2>/dev/null
  kill -9 $sp; wait $sp 2>/dev/null
  awk -F, -v n="$n" -v name="$1 $2 conn, $3" 'BEGIN { line = "" }
    $1 ~ /^[0-9]+$/ && $1 > 0 { sub(/.*:sys_enter_?/, "", $3); if ($3 == "") all = $1; else line = line sprintf(" %s %.2f", $3, $1 / n) }
    END { printf "%-28s %6.2f per request:%s (%d requests)\n", name, all / n, line, n }' "$ROOT/perf"
}
for c in "echo 1 64" "echo 1 4096" "echo 16 64" "echo 16 4096" "echo 256 64" "echo 256 4096" "http 1 /small.txt" "http 1 /big.bin" "http 64 /small.txt" "http 64 /big.bin"; do
  one $c
done
