#!/usr/bin/env bash
# Many-sources benchmark: 500 HTML listing pages (12 articles each, from the
# seeded corpus generator) served by a loopback site (benches/site.py:
# ETag, 304 on a match, keep-alive) on 10 ports, which readmore counts as
# 10 hosts, each answer 20 ms late as from a host across a network; listed
# as 500 URL sources. After a first build, 10 pages change; the rebuild is
# timed against references measured in the same run:
#
# - the 10 changed pages built alone (their 10 URLs only), from the same
#   store: the work a run cannot avoid;
# - 500 conditional GETs by curl, 8 at a time (readmore's default
#   fetch.concurrency), all answered 304: the network floor;
# - the same runs with fetch.concurrency = fetch.per_host = 1.
#
# Every timed run starts from the store and output directory of the first
# build, put back in place: the store copied back, the output's files
# copied back into the same directories (their inode and mtime kept, which
# a run compares to know that no page was added or removed behind its
# back), so each run compares only what changed, as the next real run
# would, not every page; times are medians of 3. Prints a Markdown table.
#
# usage: benches/sources.sh [WORKDIR]            (default target/bench-sources)
#
# Ratios, not seconds, are the figures to compare: the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-target/bench-sources}
root=$PWD
pages=500
changed=10
per_page=12
hosts=10
delay_ms=20

cargo build --release --locked --quiet --bin readmore --example corpus
bin=$root/target/release/readmore
gen=$root/target/release/examples/corpus

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
articles=$((pages * per_page))
# --edited P edits the newest P% of the articles: the first pages.
edited_percent=$(awk -v c=$changed -v p=$pages 'BEGIN { print 100 * c / p }')
"$gen" --articles $articles --per-page $per_page --html --out "$work/corpus" 2>/dev/null
"$gen" --articles $articles --per-page $per_page --html --edited "$edited_percent" \
  --out "$work/edited" 2>/dev/null
cp -r "$work/corpus/html" "$work/site"

python3 "$root/benches/site.py" "$work/site" $hosts $delay_ms >"$work/port" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
read -ra ports <"$work/port"
cd "$work"
mapfile -t names < <(ls site)
declare -A url_of
urls=()
for i in "${!names[@]}"; do
  url_of[${names[$i]}]=http://127.0.0.1:${ports[$((i % hosts))]}/${names[$i]}
  urls+=("${url_of[${names[$i]}]}")
done
mapfile -t edits < <(for f in edited/html/*; do cmp -s "$f" "site/${f##*/}" || echo "${f##*/}"; done)
[ ${#edits[@]} -eq $changed ] || { echo "expected $changed edited pages, got ${#edits[@]}" >&2; exit 1; }
changed_urls=()
for name in "${edits[@]}"; do changed_urls+=("${url_of[$name]}"); done

printf '[fetch]\n' >default.toml
printf '[fetch]\nconcurrency = 1\nper_host = 1\n' >sequential.toml
build() { # CONFIG NOW URLS...
  local config=$1 now=$2
  shift 2
  "$bin" build --config "$config" --base-url https://bench.example.org/ --no-publish \
    --out out --state state.db --now "$now" "$@"
}
# timed NAME COMMAND...: wall microseconds appended to NAME.t
timed() {
  local name=$1
  shift
  local start end
  start=$(date +%s%N)
  "$@" >"$name.out" 2>"$name.err" || { echo "$name failed:" >&2; cat "$name.err" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000)) >>"$name.t"
}
restore() {
  rm -f state.db* && cp -a first/state.db* .
  comm -13 <(cd first/out && find . -type f | sort) <(cd out && find . -type f | sort) \
    | (cd out && xargs -r rm -f)
  cp -a first/out/. out/
}
median() { sort -n "$1.t" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

timed cold build default.toml 2026-02-21T00:00:00Z "${urls[@]}"
mkdir first && cp -a state.db* out first/

# curl: the 500 conditional GETs alone, with the validators readmore sent.
for name in "${names[@]}"; do
  [ "$name" = "${names[0]}" ] || echo next
  printf 'url = "%s"\nheader = "If-None-Match: \\"%s\\""\noutput = "/dev/null"\nfail\nwrite-out = "%%{http_code}\\n"\n' \
    "${url_of[$name]}" "$(sha1sum <"site/$name" | cut -d' ' -f1)"
done >curl.cfg
for _ in 1 2 3; do
  timed curl curl --no-progress-meter --parallel --parallel-max 8 --config curl.cfg
  restore
  timed unchanged build default.toml 2026-02-21T01:00:00Z "${urls[@]}"
done
[ "$(grep -c '^304$' curl.out)" -eq $pages ] || { echo "curl: not every GET answered 304" >&2; exit 1; }
grep -q "$pages sources not modified" unchanged.err \
  || { echo "unchanged: not every source answered 304:" >&2; cat unchanged.err >&2; exit 1; }

for name in "${edits[@]}"; do cp "edited/html/$name" "site/$name"; done
for _ in 1 2 3; do
  restore
  timed alone build default.toml 2026-02-21T01:00:00Z "${changed_urls[@]}"
  restore
  timed rebuild build default.toml 2026-02-21T01:00:00Z "${urls[@]}"
  restore
  timed sequential build sequential.toml 2026-02-21T01:00:00Z "${urls[@]}"
done
grep -q "$((pages - changed)) sources not modified" rebuild.err \
  || { echo "rebuild: expected $((pages - changed)) pages not modified:" >&2; cat rebuild.err >&2; exit 1; }

row() { # LABEL MICROSECONDS REFERENCE_US
  awk -v l="$1" -v t="$2" -v r="$3" 'BEGIN { printf "| %s | %.3f | %.2f× |\n", l, t / 1e6, t / r }'
}
alone=$(median alone)
curl_us=$(median curl)
echo "readmore $(git -C "$root" rev-parse --short HEAD) on $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(date -u +%FT%TZ)"
echo "input: $pages URL sources on a loopback site (benches/site.py) of $hosts ports, each answer ${delay_ms} ms late; $per_page articles a page, $changed changed"
echo "command: benches/sources.sh"
echo
echo "| run (median of 3) | seconds | ratio |"
echo "|---|---|---|"
row "the $changed changed pages built alone (reference)" "$alone" "$alone"
row "$pages sources, $changed changed" "$(median rebuild)" "$alone"
row "$pages sources, $changed changed, one request at a time" "$(median sequential)" "$alone"
row "$pages conditional GETs by curl, 8 at a time (reference)" "$curl_us" "$curl_us"
row "$pages sources, none changed" "$(median unchanged)" "$curl_us"
echo
for step in cold unchanged rebuild; do echo "$step: $(grep -h '^readmore:' "$step.err" | tail -1)"; done
