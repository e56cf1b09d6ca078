#!/usr/bin/env bash
# Reads every Atom and RSS feed in the given directories with newsboat, a
# real feed reader, and checks that it finds as many items as the feed has.
# Usage: newsboat.sh DIR...
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checked=0
for dir in "$@"; do
  for feed in "$dir"/*.atom "$dir"/*.rss; do
    [ -e "$feed" ] || continue
    want=$(grep -c -E '<entry>|<item>' "$feed")
    echo "file://$(cd "$(dirname "$feed")" && pwd)/$(basename "$feed")" > "$work/urls"
    # a fresh cache per feed and per try; one retry, said aloud, because
    # newsboat 2.21 has been seen to read 0 items from a valid file on a
    # machine under heavy load
    for try in 1 2; do
      cache="$work/cache-$checked-$try.db"
      got=$(HOME="$work" timeout 60 newsboat -u "$work/urls" -c "$cache" -C /dev/null -x reload print-unread \
        | grep -o '^[0-9]*' || true)
      [ "$got" = "$want" ] && break
      echo "$feed: newsboat read ${got:-no} items (try $try), the feed has $want"
    done
    if [ "$got" != "$want" ]; then
      echo "$feed: newsboat read ${got:-no} items, the feed has $want"
      exit 1
    fi
    checked=$((checked + 1))
  done
done
echo "newsboat $(newsboat --version | head -1 | cut -d' ' -f2): $checked feeds read, every item found"
