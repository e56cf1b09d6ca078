#!/usr/bin/env bash
# Fault injection against the release binary (run by .ci/run): a full disk
# and a read-only output directory (a small tmpfs, where mounting is
# allowed), kill -9 at random moments while new articles arrive, a source
# that drips its body, and a corrupt store. Each case must end with the
# previous feeds intact, or repaired by the next run, and a clear message.
# Usage: tests/faults.sh path/to/readmore
set -euo pipefail
bin=$(realpath "$1")
root=$(pwd)
work=$(mktemp -d)
mnt="$work/mnt"
cleanup() {
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
T1=2026-02-20T12:00:00Z
T2=2026-02-20T13:00:00Z
sample="$root/sample/ars-author-archive.txt"
page_b="$root/tests/fixtures/pages/page-b.txt"
cd "$work" # no readmore.toml here: every run uses the defaults
fail() { echo "faults: FAILED: $*" >&2; exit 1; }
sums() { (cd "$1" && find . -type f ! -name '.*' -print0 | sort -z | xargs -0 sha256sum); }
build() { # out state now input... ; prints stderr to $work/err, returns the exit code
  local out=$1 state=$2 now=$3; shift 3
  "$bin" build --out "$out" --state "$state" --now "$now" "$@" 2>"$work/err" >/dev/null
}

# The reference: the sample, then page B, on a healthy disk.
build "$work/ref" "$work/ref.db" "$T1" "$sample" || fail "reference build"
build "$work/ref" "$work/ref.db" "$T2" "$page_b" || fail "reference build of page B"

echo "faults: kill -9 at random moments while page B arrives"
for i in 1 2 3 4 5 6; do
  d="$work/kill$i"
  build "$d/feeds" "$d/state.db" "$T1" "$sample" || fail "kill $i: first build"
  "$bin" build --out "$d/feeds" --state "$d/state.db" --now "$T2" "$page_b" 2>/dev/null &
  pid=$!
  sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  build "$d/feeds" "$d/state.db" "$T2" "$page_b" || fail "kill $i: the next run failed: $(cat "$work/err")"
  diff -r "$work/ref" "$d/feeds" >/dev/null || fail "kill $i: feeds differ from a clean build"
done

echo "faults: a corrupt store"
d="$work/corrupt"
build "$d/feeds" "$d/state.db" "$T1" "$sample" || fail "corrupt: first build"
before=$(sums "$d/feeds")
cp "$d/state.db" "$work/good.db"
rm -f "$d/state.db-wal" "$d/state.db-shm"
printf 'this is no database %.0s' $(seq 300) > "$d/state.db"
if build "$d/feeds" "$d/state.db" "$T2" "$page_b"; then fail "corrupt: a corrupt store was accepted"; fi
grep -q "cannot use the store .*move it aside" "$work/err" || fail "corrupt: unclear message: $(cat "$work/err")"
[ "$(sums "$d/feeds")" = "$before" ] || fail "corrupt: feeds changed"
cp "$work/good.db" "$d/state.db"
build "$d/feeds" "$d/state.db" "$T2" "$page_b" || fail "corrupt: the restored store failed"
diff -r "$work/ref" "$d/feeds" >/dev/null || fail "corrupt: feeds differ after restoring the store"

echo "faults: a source that drips its body"
python3 - "$work/port" <<'PY' &
import http.server, sys, time
class Drip(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100000):
                self.wfile.write(b" "); self.wfile.flush(); time.sleep(0.5)
        except OSError:
            pass
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
open(sys.argv[1], "w").write(str(server.server_address[1]))
server.timeout = 120
deadline = time.time() + 120
while time.time() < deadline:
    server.handle_request()
PY
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.2; done
d="$work/drip"
printf '[fetch]\ntimeout = 3\n' > "$work/drip.toml"
build "$d/feeds" "$d/state.db" "$T1" --config "$work/drip.toml" "$sample" || fail "drip: first build"
before=$(sums "$d/feeds")
code=0
timeout 60 "$bin" build --config "$work/drip.toml" --out "$d/feeds" --state "$d/state.db" --now "$T1" \
  "http://127.0.0.1:$(cat "$work/port")/" "$sample" 2>"$work/err" >/dev/null || code=$?
[ "$code" = 5 ] || fail "drip: exit $code, expected 5: $(cat "$work/err")"
grep -q "timed out after 3 s (fetch.timeout)" "$work/err" || fail "drip: unclear message: $(cat "$work/err")"
[ "$(sums "$d/feeds")" = "$before" ] || fail "drip: feeds changed"
kill "$server" 2>/dev/null || true
server=

mkdir -p "$mnt"
if ! mount -t tmpfs -o size=2m tmpfs "$mnt" 2>/dev/null; then
  echo "faults: cannot mount a tmpfs here: disk-full and read-only cases skipped"
  echo "faults: passed"
  exit 0
fi

echo "faults: a read-only output directory"
build "$mnt/feeds" "$work/ro.db" "$T1" "$sample" || fail "ro: first build"
before=$(sums "$mnt/feeds")
mount -o remount,ro "$mnt"
if build "$mnt/feeds" "$work/ro.db" "$T2" "$page_b"; then fail "ro: a read-only directory was written"; fi
grep -q "Read-only file system" "$work/err" || fail "ro: unclear message: $(cat "$work/err")"
[ "$(sums "$mnt/feeds")" = "$before" ] || fail "ro: feeds changed"
mount -o remount,rw "$mnt"
build "$mnt/feeds" "$work/ro.db" "$T2" "$page_b" || fail "ro: the next run failed: $(cat "$work/err")"
diff -r "$work/ref" "$mnt/feeds" >/dev/null || fail "ro: feeds differ after the directory is writable again"

echo "faults: a full disk"
rm -rf "$mnt/feeds"
build "$mnt/feeds" "$work/full.db" "$T1" "$sample" || fail "full: first build"
before=$(sums "$mnt/feeds")
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null || true
if build "$mnt/feeds" "$work/full.db" "$T2" "$page_b"; then fail "full: a full disk was written"; fi
grep -q "No space left on device" "$work/err" || fail "full: unclear message: $(cat "$work/err")"
[ "$(sums "$mnt/feeds")" = "$before" ] || fail "full: feeds changed"
rm -f "$mnt/filler"
build "$mnt/feeds" "$work/full.db" "$T2" "$page_b" || fail "full: the next run failed: $(cat "$work/err")"
diff -r "$work/ref" "$mnt/feeds" >/dev/null || fail "full: feeds differ after space is freed"

echo "faults: passed"
