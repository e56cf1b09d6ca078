#!/usr/bin/env bash
# The quick start's preview in a real reader: `readmore serve --build` on a
# free port, its OPML list imported into newsboat over HTTP, and every item
# of every section feed read through the preview server.
# Usage: preview_newsboat.sh path/to/readmore
set -euo pipefail
readmore=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
printf 'sources = ["%s/sample/ars-author-archive.txt"]\n[site]\nbase_url = "https://feeds.example.org/readmore/"\n' \
  "$root" > "$work/readmore.toml"
(cd "$work" && exec "$readmore" serve --build --addr 127.0.0.1:0 2> "$work/serve.log") &
server=$!
for _ in $(seq 600); do
  grep -q 'serving' "$work/serve.log" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.2
done
base=$(grep -o 'http://[0-9.:]*/' "$work/serve.log" | tail -1)
[ -n "$base" ] || { cat "$work/serve.log"; echo "preview did not start"; exit 1; }
# The OPML list, as a reader imports it: every outline's feed URL; and
# how many items those feeds hold, fetched from the preview too.
want=$(python3 - "$base" "$work/urls" <<'PY'
import sys, urllib.request, xml.etree.ElementTree as ET
base, urls = sys.argv[1], sys.argv[2]
fetch = lambda url: urllib.request.urlopen(url, timeout=60).read()
items = 0
with open(urls, "w") as out:
    for outline in ET.fromstring(fetch(base + "index.opml")).iter("outline"):
        url = outline.get("xmlUrl")
        assert url.startswith(base), f"{url} is not on the preview server"
        print(url, file=out)
        items += len(ET.fromstring(fetch(url)).findall("{http://www.w3.org/2005/Atom}entry"))
print(items)
PY
)
feeds=$(wc -l < "$work/urls")
for try in 1 2; do
  got=$(HOME="$work" timeout 120 newsboat -u "$work/urls" -c "$work/cache-$try.db" -C /dev/null -x reload print-unread \
    | grep -o '^[0-9]*' || true)
  [ "$got" = "$want" ] && break
  echo "newsboat read ${got:-no} items through the preview (try $try), want $want"
done
[ "$got" = "$want" ] || exit 1
echo "preview: newsboat imported $feeds feeds from $base""index.opml and read all $got items"
