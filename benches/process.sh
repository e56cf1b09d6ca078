#!/usr/bin/env bash
# Whole-process benchmark: generates a seeded corpus of N articles (text
# dumps, 100 articles a page) and times, in one run and side by side, `cp`
# of the input, a cold build, an unchanged rebuild, a rebuild with the
# newest 1% of the articles edited, `explain`, and the 12-article sample
# built against an empty store and against the store of N articles. Prints
# each time as a ratio to `cp` of the same input, with the peak RSS
# (/usr/bin/time), as a Markdown table.
#
# usage: benches/process.sh [ARTICLES] [WORKDIR]     (default 10000, target/bench-N)
#
# Ratios, not seconds, are the figures to compare: the machine may be shared.
# Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
work=${2:-target/bench-$n}
root=$PWD
sample=$root/sample/ars-author-archive.txt

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install time" >&2; exit 2; }
cargo build --release --locked --quiet --bin readmore --example corpus
bin=$root/target/release/readmore
gen=$root/target/release/examples/corpus

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
"$gen" --articles "$n" --out "$work/corpus" 2>/dev/null
"$gen" --articles "$n" --edited 1 --out "$work/edited" 2>/dev/null
input=$work/input
cp -r "$work/corpus/txt" "$input"
bytes=$(cat "$input"/* | wc -c)
cat "$input"/* >/dev/null # the page cache holds the input for every step alike
cd "$work"                # no readmore.toml here: every setting is on the command line

# measure NAME COMMAND...: wall seconds and peak RSS (KiB) into NAME.t
measure() {
  local name=$1
  shift
  local start end
  start=$(date +%s%N)
  /usr/bin/time -f %M -o "$name.rss" "$@" >"$name.out" 2>"$name.err" \
    || { echo "$name failed:" >&2; cat "$name.err" >&2; exit 1; }
  end=$(date +%s%N)
  echo "$(((end - start) / 1000)) $(tail -1 "$name.rss")" >"$name.t"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
build=("$bin" build --base-url https://bench.example.org/ --no-publish)

for round in 1 2 3; do
  rm -rf copy
  measure "cp-$round" cp -r "$input" copy
done
rm -rf copy
measure cold "${build[@]}" "$input" --out out --state state.db --now 2026-02-21T00:00:00Z
measure unchanged "${build[@]}" "$input" --out out --state state.db --now 2026-02-21T01:00:00Z
for f in "$work"/edited/txt/*; do
  cmp -s "$f" "$input/${f##*/}" || cp "$f" "$input/${f##*/}"
done
measure edited "${build[@]}" "$input" --out out --state state.db --now 2026-02-21T02:00:00Z
measure explain "$bin" explain "$input"
# The 12-article sample against an empty store and against the N store:
# first sight (12 new articles), then unchanged runs, alternating.
measure page-empty-new "${build[@]}" "$sample" --out p12/out --state p12/state.db --now 2026-02-21T03:00:00Z
measure page-n-new "${build[@]}" "$sample" --out out --state state.db --now 2026-02-21T03:00:00Z
for round in 1 2 3 4 5; do
  measure "page-empty-$round" "${build[@]}" "$sample" --out p12/out --state p12/state.db --now 2026-02-21T04:00:00Z
  measure "page-n-$round" "${build[@]}" "$sample" --out out --state state.db --now 2026-02-21T04:00:00Z
done

us() { cut -d' ' -f1 "$1.t"; }
kib() { cut -d' ' -f2 "$1.t"; }
cp_us=$(for r in 1 2 3; do us "cp-$r"; done | median)
cp_kib=$(for r in 1 2 3; do kib "cp-$r"; done | median)
row() { # LABEL MICROSECONDS KIB REFERENCE_US
  awk -v l="$1" -v t="$2" -v k="$3" -v c="$4" \
    'BEGIN { printf "| %s | %.3f | %.1f× | %.0f |\n", l, t / 1e6, t / c, k / 1024 }'
}
empty_us=$(for r in 1 2 3 4 5; do us "page-empty-$r"; done | median)
n_us=$(for r in 1 2 3 4 5; do us "page-n-$r"; done | median)

echo "readmore $(git -C "$root" rev-parse --short HEAD) on $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(date -u +%FT%TZ)"
echo "input: $n articles, $((bytes / 1000000)) MB in $(ls "$input" | wc -l) text dumps"
echo "command: benches/process.sh $n"
echo
echo "| step | seconds | × cp | peak RSS MB |"
echo "|---|---|---|---|"
row "cp -r of the input (median of 3)" "$cp_us" "$cp_kib" "$cp_us"
row "cold build" "$(us cold)" "$(kib cold)" "$cp_us"
row "unchanged rebuild" "$(us unchanged)" "$(kib unchanged)" "$cp_us"
row "rebuild, newest 1% edited" "$(us edited)" "$(kib edited)" "$cp_us"
row "explain (parse + classify)" "$(us explain)" "$(kib explain)" "$cp_us"
echo
echo "| 12-article sample | empty store s | $n-article store s | ratio |"
echo "|---|---|---|---|"
awk -v a="$(us page-empty-new)" -v b="$(us page-n-new)" \
  'BEGIN { printf "| first sight (12 new) | %.3f | %.3f | %.2f× |\n", a / 1e6, b / 1e6, b / a }'
awk -v a="$empty_us" -v b="$n_us" \
  'BEGIN { printf "| unchanged (median of 5) | %.3f | %.3f | %.2f× |\n", a / 1e6, b / 1e6, b / a }'
echo
awk -v b="$bytes" -v t="$(us explain)" 'BEGIN { printf "explain throughput: %.1f MB/s\n", b / t }'
for step in cold unchanged edited; do echo "$step: $(grep -h '^readmore:' "$step.err" | tail -1)"; done
