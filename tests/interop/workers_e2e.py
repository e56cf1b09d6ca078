"""Three `readmore worker` processes on one PostgreSQL store, one killed.

A loopback HTTP server serves SOURCES RSS feeds (two dated items each,
written here) and logs every request's path, start and end. Three workers
share the feeds through the store named by READMORE_TEST_POSTGRES and write
one output directory; worker 0 is killed with SIGKILL at random moments
(the seed is printed) and started again. The run goes on until every feed
was fetched at least once after the last kill (so the sources a killed
worker had claimed come back), then the workers get SIGTERM. Afterwards:

- every feed was fetched;
- no feed was fetched twice at once (per path, no two requests overlap);
- every worker stopped cleanly (exit 0) on SIGTERM;
- the ids and dates of every Atom feed in the shared output, and in a
  fresh build from the shared store, are those of one `readmore build` of
  the same feeds on SQLite.

It prints the throughput of the first round: sources per minute per
worker, from start to the moment every feed had been fetched once.

Usage: tests/with_postgres.sh python3 tests/interop/workers_e2e.py path/to/readmore
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOURCES = 200
WORKERS = 3
BATCH = 10
EVERY = 15
KILLS = 5
TIMEOUT = 900  # seconds for the whole run: generous, the machine is shared
ATOM = "{http://www.w3.org/2005/Atom}"


class Site(ThreadingHTTPServer):
    """The feeds' server: a worker killed mid-answer closes its sockets, which
    is what the test does on purpose, so a broken connection is no error."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class Feeds(BaseHTTPRequestHandler):
    """Serves /feed/N.xml and logs (path, start, end) of every request."""

    log = []
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        start = time.monotonic()
        try:
            n = int(self.path.removeprefix("/feed/").removesuffix(".xml"))
        except ValueError:
            n = -1
        if not 0 <= n < SOURCES:
            self.send_error(404)
            return
        body = feed(n, f"http://{self.headers['Host']}").encode()
        # A short pause widens the window in which a second fetch of the
        # same feed would overlap this one.
        time.sleep(0.05)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        with Feeds.lock:
            Feeds.log.append((self.path, start, time.monotonic(), self.client_address[1]))

    def log_message(self, *args):
        pass


def feed(n, host):
    """Feed n: two items with their own guids and dates, in the style of
    the store's three-worker test."""
    items = "".join(
        f"<item><title>Harbour note {n}-{i}</title><link>{host}/a/{n}/{i}</link>"
        f"<guid>{host}/a/{n}/{i}</guid>"
        f"<pubDate>Tue, 17 Feb 2026 {n % 24:02}:{(i * 7 + n // 24) % 60:02}:00 GMT</pubDate>"
        f"<description>The ferry timetable changed again, note {n}-{i}.</description></item>"
        for i in (1, 2)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>{host}/</link><description>Notes</description>"
        f"{items}</channel></rss>"
    )


def write_config(dir, base, state):
    os.makedirs(dir, exist_ok=True)
    urls = ", ".join(f'"{base}/feed/{n}.xml"' for n in range(SOURCES))
    with open(os.path.join(dir, "readmore.toml"), "w") as f:
        f.write(
            f"sources = [{urls}]\nstate = \"{state}\"\n"
            "[output]\ndir = \"out\"\n"
            "[site]\nbase_url = \"https://feeds.example.org/rm/\"\n"
            # every article in every feed, so the comparison sees them all
            "[retention]\nitems = 1000\n"
        )


def entries(out):
    """{feed file: sorted (id, published, updated)} of every Atom feed in out."""
    found = {}
    for name in sorted(os.listdir(out)):
        if name.endswith(".atom"):
            root = ET.parse(os.path.join(out, name)).getroot()
            found[name] = sorted(
                (e.findtext(ATOM + "id"), e.findtext(ATOM + "published"), e.findtext(ATOM + "updated"))
                for e in root.iter(ATOM + "entry")
            )
    return found


def fetched_since(t):
    with Feeds.lock:
        return {path for path, start, _, _ in Feeds.log if start >= t}


def main():
    binary = os.path.abspath(sys.argv[1])
    url = os.environ["READMORE_TEST_POSTGRES"]
    seed = int(os.environ.get("READMORE_E2E_SEED", random.randrange(1 << 32)))
    print(f"workers_e2e: seed {seed} (READMORE_E2E_SEED={seed} repeats the kill moments)")
    rng = random.Random(seed)
    server = Site(("127.0.0.1", 0), Feeds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    paths = {f"/feed/{n}.xml" for n in range(SOURCES)}
    tmp = tempfile.mkdtemp(prefix="readmore-workers-")
    shared = os.path.join(tmp, "shared")
    write_config(shared, base, url)

    logs = []

    def start(w):
        log = open(os.path.join(tmp, f"worker{w}-{len(logs)}.log"), "w")
        logs.append(log.name)
        return subprocess.Popen(
            [binary, "worker", "--every", str(EVERY), "--batch", str(BATCH), "--lock-timeout", "600"],
            cwd=shared,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    def fail(message):
        for proc in workers:
            proc.kill()
        for name in logs:
            with open(name) as f:
                tail = f.read()[-2000:]
            print(f"--- {name}\n{tail}", file=sys.stderr)
        sys.exit(f"workers_e2e: {message}")

    workers = []
    began = time.monotonic()
    workers.extend(start(w) for w in range(WORKERS))
    kills, last_kill, first_round = 0, began, None
    while True:
        now = time.monotonic()
        if now - began > TIMEOUT:
            fail(f"not done after {TIMEOUT} s: {len(paths - fetched_since(last_kill))} feeds unfetched since the last kill")
        if first_round is None and fetched_since(began) >= paths:
            first_round = now - began
        for w, proc in enumerate(workers[1:], 1):
            if proc.poll() is not None:
                fail(f"worker {w} exited with {proc.returncode}")
        if kills < KILLS:
            time.sleep(rng.uniform(0.5, 6.0))
            workers[0].kill()
            workers[0].wait()
            kills += 1
            last_kill = time.monotonic()
            workers[0] = start(0)
            continue
        if fetched_since(last_kill) >= paths:
            break
        time.sleep(0.5)
    for proc in workers:
        proc.send_signal(signal.SIGTERM)
    for w, proc in enumerate(workers):
        if proc.wait(timeout=TIMEOUT) != 0:
            fail(f"worker {w} exited with {proc.returncode} after SIGTERM")
    if first_round is None:
        first_round = time.monotonic() - began

    with Feeds.lock:
        log = list(Feeds.log)
    missing = paths - {path for path, _, _, _ in log}
    if missing:
        fail(f"never fetched: {sorted(missing)[:5]}")
    by_path = {}
    for path, s, e, port in log:
        by_path.setdefault(path, []).append((s, e, port))
    for path, spans in by_path.items():
        spans.sort()
        for (s1, e1, p1), (s2, _, p2) in zip(spans, spans[1:]):
            if s2 < e1:
                fail(f"{path} fetched twice at once (client ports {p1} and {p2})")

    # The same feeds, once, by one process on SQLite.
    alone = os.path.join(tmp, "alone")
    write_config(alone, base, "state.db")
    for cwd in (alone, shared):
        out = "out" if cwd == alone else "rebuilt"
        done = subprocess.run([binary, "build", "--out", out], cwd=cwd, capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"build in {cwd} exited with {done.returncode}: {done.stderr}")
    server.shutdown()
    reference = entries(os.path.join(alone, "out"))
    if sum(len(v) for v in reference.values()) < 2 * SOURCES:
        fail(f"the reference build holds too few entries: {reference.keys()}")
    for name in ("out", "rebuilt"):
        got = entries(os.path.join(shared, name))
        if got != reference:
            diff = [f for f in set(got) | set(reference) if got.get(f) != reference.get(f)]
            fail(f"ids or dates in shared/{name} differ from one SQLite build in {sorted(diff)}")

    per_worker = SOURCES / (first_round / 60) / WORKERS
    print(
        f"workers_e2e: {SOURCES} feeds, {WORKERS} workers (batches of {BATCH}), {kills} SIGKILLs: "
        f"{len(log)} fetches, none overlapping; first round in {first_round:.1f} s "
        f"({per_worker:.0f} sources per minute per worker); ids and dates as on SQLite"
    )
    shutil.rmtree(tmp)  # kept on failure, with the workers' logs


if __name__ == "__main__":
    main()
