"""Three `readmore worker` processes on one PostgreSQL store and one bucket,
one killed at random moments, feeds changing meanwhile.

HOSTS loopback HTTP servers (one port each, so many hosts to the
workers' per-host politeness) serve SOURCES RSS feeds (two dated items
each, written here, and one more item each time a feed changes) and log
every request. Three workers share the feeds through the store named by
READMORE_TEST_POSTGRES, publish to a versioned bucket on the S3 server
named by READMORE_TEST_S3 (moto_server; every PUT of an object makes a
version), and ping a loopback WebSub hub, which on each ping fetches the
feed from the bucket and notes which version it got. Worker 0 is killed
with SIGKILL at random moments (the seed is printed) and started again;
meanwhile random feeds change. The run goes on until every feed was
fetched at least once after the last kill and the last change, then the
workers get SIGTERM. Afterwards:

- every feed was fetched, and no feed twice at once (per path, no two
  requests overlap);
- every worker stopped cleanly (exit 0) on SIGTERM;
- each feed in the bucket was pinged once per version uploaded: its pings,
  in order, fetched its versions in order, one each, the last one last. A
  ping repeated (a version fetched twice) or a version left out (covered
  by the next ping) is accepted only when worker 0 was killed between the
  two pings: that is the guarantee (README "Scaling out"), at least once,
  more only when a sender dies between a hub's answer and its commit;
- the objects in the bucket are byte for byte, and one for one, the files
  of one `readmore build` of the final feeds into a directory, by one
  process on SQLite;
- the ids and dates of every Atom feed in the bucket, and in a fresh build
  from the shared store, are those of that build.

It prints the throughput of the first round (sources per minute per
worker, from start to the moment every feed had been fetched once) and
the latency a worker adds between fetching a change and the hub's receipt
of the ping for it (median and largest).

Usage: tests/with_postgres.sh python3 tests/interop/workers_e2e.py path/to/readmore
(with READMORE_TEST_S3=http://127.0.0.1:PORT naming a moto_server, and
boto3 importable: moto's own dependency)
"""

import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

SOURCES = 200
HOSTS = 20  # loopback servers, one port each: politeness is per host and port
WORKERS = 3
BATCH = 10
EVERY = 15
KILLS = 5
CHANGES = 30
TIMEOUT = 900  # seconds for the whole run: generous, the machine is shared
ATOM = "{http://www.w3.org/2005/Atom}"
BASE_URL = "https://feeds.example.org/rm/"
PREFIX = "site/"
FEED_EXTENSIONS = (".atom", ".rss", ".json")


class Quiet(ThreadingHTTPServer):
    """A loopback server: a worker killed mid-request closes its sockets,
    which is what the test does on purpose, so a broken connection is no
    error."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class Feeds(BaseHTTPRequestHandler):
    """Serves /feed/N.xml and logs (path, start, end, client port, items
    served) of every request. `changes[n]` is how many times feed n changed."""

    log = []
    changes = [0] * SOURCES
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
        with Feeds.lock:
            items = 2 + Feeds.changes[n]
        body = feed(n, f"http://{self.headers['Host']}", items).encode()
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
            Feeds.log.append((self.path, start, time.monotonic(), self.client_address[1], items))

    def log_message(self, *args):
        pass


def feed(n, host, items):
    """Feed n with its first `items` items, each with its own guid and
    date (those after the first two: the changes)."""
    body = "".join(
        f"<item><title>Harbour note {n}-{i}</title><link>{host}/a/{n}/{i}</link>"
        f"<guid>{host}/a/{n}/{i}</guid>"
        f"<pubDate>{'Tue' if i <= 2 else 'Wed'}, {17 if i <= 2 else 18} Feb 2026 "
        f"{n % 24:02}:{(i * 7 + n // 24) % 60:02}:00 GMT</pubDate>"
        f"<description>The ferry timetable changed again, note {n}-{i}.</description></item>"
        for i in range(1, items + 1)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>{host}/</link><description>Notes</description>"
        f"{body}</channel></rss>"
    )


class Hub(BaseHTTPRequestHandler):
    """A WebSub hub that only counts: on each publish ping it fetches the
    feed from the bucket, as a hub would, and logs (topic, receipt time,
    version fetched, Atom entry ids in it)."""

    log = []
    lock = threading.Lock()
    s3 = None
    bucket = None
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        received = time.monotonic()
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        topic = form.get("hub.topic", [""])[0]
        key = PREFIX + topic.removeprefix(BASE_URL)
        got = Hub.s3.get_object(Bucket=Hub.bucket, Key=key)
        body = got["Body"].read()
        ids = set()
        if key.endswith(".atom"):
            ids = {e.findtext(ATOM + "id") for e in ET.fromstring(body).iter(ATOM + "entry")}
        with Hub.lock:
            Hub.log.append((key.removeprefix(PREFIX), received, got["VersionId"], ids))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def write_config(dir, bases, state, out, hub):
    os.makedirs(dir, exist_ok=True)
    urls = ", ".join(f'"{bases[n % HOSTS]}/feed/{n}.xml"' for n in range(SOURCES))
    with open(os.path.join(dir, "readmore.toml"), "w") as f:
        f.write(
            f"sources = [{urls}]\nstate = \"{state}\"\n"
            f"[output]\ndir = \"{out}\"\n"
            f"[site]\nbase_url = \"{BASE_URL}\"\n"
            # every article in every feed, so the comparison sees them all
            "[retention]\nitems = 1000\n"
            # a hub slower than this on a loaded machine would get a repeat
            f"[websub]\nhubs = [\"{hub}\"]\ntimeout = 120\nwait = 10\n"
        )


def entries(files):
    """{feed: sorted (id, published, updated)} of every Atom feed in files."""
    found = {}
    for name, body in sorted(files.items()):
        if name.endswith(".atom"):
            found[name] = sorted(
                (e.findtext(ATOM + "id"), e.findtext(ATOM + "published"), e.findtext(ATOM + "updated"))
                for e in ET.fromstring(body).iter(ATOM + "entry")
            )
    return found


def local_files(out):
    """{path below out: bytes} of every file in out."""
    found = {}
    for dirpath, _, names in os.walk(out):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, out)] = f.read()
    return found


def bucket_files(s3, bucket):
    """{key below the prefix: bytes} of every object in the bucket."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            found[obj["Key"].removeprefix(PREFIX)] = body
    return found


def versions(s3, bucket):
    """{key below the prefix: version ids, oldest first} of every object."""
    found = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            found.setdefault(v["Key"].removeprefix(PREFIX), []).append((v["LastModified"], v["VersionId"]))
    # The listing gives each key's versions newest first.
    return {key: [vid for _, vid in reversed(vs)] for key, vs in found.items()}


def fetched_since(t):
    with Feeds.lock:
        return {path for path, start, _, _, _ in Feeds.log if start >= t}


def check_pings(feed_versions, pings, kills, fail):
    """Each feed's pings fetched its versions in order, one each, the last
    last; a repeat or a skip only across a kill. Returns (pings, repeats,
    skips)."""
    by_topic = {}
    for topic, received, version, _ in pings:
        by_topic.setdefault(topic, []).append((received, version))
    stray = set(by_topic) - set(feed_versions)
    if stray:
        fail(f"pings for what is no feed in the bucket: {sorted(stray)}")
    repeats = skips = 0
    for topic, order in feed_versions.items():
        seen = sorted(by_topic.get(topic, []))
        if not seen:
            fail(f"{topic}: {len(order)} versions uploaded, never pinged")
        last, since = -1, float("-inf")
        for received, version in seen:
            if version not in order:
                fail(f"{topic}: a ping fetched version {version}, which the bucket does not list")
            at = order.index(version)
            killed = any(since < k < received for k in kills)
            if at < last:
                fail(f"{topic}: a ping fetched an older version than the ping before it")
            if at != last + 1 and not killed:
                what = "fetched the same version as the one before" if at == last else f"left {at - last - 1} versions unpinged"
                fail(f"{topic}: a ping {what}, and no worker was killed in between")
            repeats += at == last
            skips += max(0, at - last - 1)
            last, since = at, received
        if last != len(order) - 1:
            fail(f"{topic}: the last of its {len(order)} versions was never pinged")
    return sum(len(v) for v in by_topic.values()), repeats, skips


def latencies(changes, fetches, pings, bases):
    """Seconds from the first fetch that served each change to the hub's
    receipt of the first ping whose all.atom held it."""
    found = []
    for n, items in changes:
        served = [end for path, _, end, _, got in fetches if path == f"/feed/{n}.xml" and got >= items]
        guid = f"{bases[n % HOSTS]}/a/{n}/{items}"
        pinged = [r for topic, r, _, ids in pings if topic == "all.atom" and guid in ids]
        if served and pinged:
            found.append(min(pinged) - min(served))
    return found


def main():
    binary = os.path.abspath(sys.argv[1])
    url = os.environ["READMORE_TEST_POSTGRES"]
    endpoint = os.environ["READMORE_TEST_S3"]
    seed = int(os.environ.get("READMORE_E2E_SEED", random.randrange(1 << 32)))
    print(f"workers_e2e: seed {seed} (READMORE_E2E_SEED={seed} repeats the kill and change moments)")
    rng = random.Random(seed)
    changer_rng = random.Random(seed + 1)

    aws = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    # A new bucket each run: a prefix another store filled is refused.
    bucket = f"readmore-e2e-{seed}-{os.getpid()}-{int(time.time())}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    Hub.s3, Hub.bucket = s3, bucket

    servers = [Quiet(("127.0.0.1", 0), Feeds) for _ in range(HOSTS)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    hub = Quiet(("127.0.0.1", 0), Hub)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    bases = [f"http://127.0.0.1:{server.server_address[1]}" for server in servers]
    hub_url = f"http://127.0.0.1:{hub.server_address[1]}/"
    paths = {f"/feed/{n}.xml" for n in range(SOURCES)}
    tmp = tempfile.mkdtemp(prefix="readmore-workers-")
    shared = os.path.join(tmp, "shared")
    write_config(shared, bases, url, f"s3://{bucket}/{PREFIX}", hub_url)

    logs = []

    def start(w):
        log = open(os.path.join(tmp, f"worker{w}-{len(logs)}.log"), "w")
        logs.append(log.name)
        return subprocess.Popen(
            [binary, "worker", "--every", str(EVERY), "--batch", str(BATCH), "--lock-timeout", "600"],
            cwd=shared,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, **aws},
        )

    def fail(message):
        for proc in workers:
            proc.kill()
        for name in logs:
            with open(name) as f:
                tail = f.read()[-2000:]
            print(f"--- {name}\n{tail}", file=sys.stderr)
        sys.exit(f"workers_e2e: {message} (seed {seed}, files in {tmp})")

    changes = []  # (feed, items it has since)
    last_change = [time.monotonic()]

    def change():
        for _ in range(CHANGES):
            time.sleep(changer_rng.uniform(0.3, 1.5))
            n = changer_rng.randrange(SOURCES)
            with Feeds.lock:
                Feeds.changes[n] += 1
                changes.append((n, 2 + Feeds.changes[n]))
                last_change[0] = time.monotonic()

    workers = []
    began = time.monotonic()
    workers.extend(start(w) for w in range(WORKERS))
    changer = threading.Thread(target=change, daemon=True)
    changer.start()
    kills, last_kill, first_round = [], began, None
    while True:
        now = time.monotonic()
        if now - began > TIMEOUT:
            fail(f"not done after {TIMEOUT} s: {len(paths - fetched_since(last_kill))} feeds unfetched since the last kill")
        if first_round is None and fetched_since(began) >= paths:
            first_round = now - began
        for w, proc in enumerate(workers[1:], 1):
            if proc.poll() is not None:
                fail(f"worker {w} exited with {proc.returncode}")
        if len(kills) < KILLS:
            time.sleep(rng.uniform(0.5, 6.0))
            workers[0].kill()
            workers[0].wait()
            last_kill = time.monotonic()
            kills.append(last_kill)
            workers[0] = start(0)
            continue
        with Feeds.lock:
            settled = max(last_kill, last_change[0])
        if not changer.is_alive() and fetched_since(settled) >= paths:
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
    missing = paths - {path for path, _, _, _, _ in log}
    if missing:
        fail(f"never fetched: {sorted(missing)[:5]}")
    by_path = {}
    for path, s, e, port, _ in log:
        by_path.setdefault(path, []).append((s, e, port))
    for path, spans in by_path.items():
        spans.sort()
        for (s1, e1, p1), (s2, _, p2) in zip(spans, spans[1:]):
            if s2 < e1:
                fail(f"{path} fetched twice at once (client ports {p1} and {p2})")

    # One ping per version of each feed in the bucket.
    with Hub.lock:
        pings = list(Hub.log)
    objects = bucket_files(s3, bucket)
    feed_versions = {k: v for k, v in versions(s3, bucket).items() if k in objects and k.endswith(FEED_EXTENSIONS)}
    sent, repeats, skips = check_pings(feed_versions, pings, kills, fail)
    uploaded = sum(len(v) for v in feed_versions.values())

    # The same feeds, once, by one process on SQLite into a directory, and
    # again from the shared store.
    alone = os.path.join(tmp, "alone")
    write_config(alone, bases, "state.db", "out", hub_url)
    for cwd, out in ((alone, "out"), (shared, "rebuilt")):
        done = subprocess.run(
            [binary, "build", "--out", out, "--no-publish"], cwd=cwd, capture_output=True, text=True
        )
        if done.returncode != 0:
            fail(f"build in {cwd} exited with {done.returncode}: {done.stderr}")
    for server in servers:
        server.shutdown()
    hub.shutdown()
    reference = local_files(os.path.join(alone, "out"))
    if objects != reference:
        extra, lacking = sorted(set(objects) - set(reference)), sorted(set(reference) - set(objects))
        differ = sorted(k for k in set(objects) & set(reference) if objects[k] != reference[k])
        fail(f"the bucket is not the local build: extra {extra[:5]}, missing {lacking[:5]}, differing {differ[:5]}")
    expected = entries(reference)
    if sum(len(v) for v in expected.values()) < 2 * SOURCES + CHANGES:
        fail(f"the reference build holds too few entries: {expected.keys()}")
    rebuilt = entries(local_files(os.path.join(shared, "rebuilt")))
    if rebuilt != expected:
        diff = [f for f in set(rebuilt) | set(expected) if rebuilt.get(f) != expected.get(f)]
        fail(f"ids or dates in a build from the shared store differ from one SQLite build in {sorted(diff)}")

    waits = latencies(changes, log, pings, bases)
    if len(waits) != len(changes):
        fail(f"only {len(waits)} of {len(changes)} changes were seen fetched and then pinged")
    per_worker = SOURCES / (first_round / 60) / WORKERS
    print(
        f"workers_e2e: {SOURCES} feeds on {HOSTS} hosts, {WORKERS} workers (batches of {BATCH}), {len(kills)} SIGKILLs, "
        f"{len(changes)} changes: {len(log)} fetches, none overlapping; first round in {first_round:.1f} s "
        f"({per_worker:.0f} sources per minute per worker); {len(objects)} objects, byte for byte the "
        f"local build; {uploaded} feed versions uploaded, {sent} pings ({repeats} repeated and {skips} "
        f"versions covered by a later ping, each across a SIGKILL); change fetched to ping received: "
        f"median {statistics.median(waits):.1f} s, largest {max(waits):.1f} s"
    )
    shutil.rmtree(tmp)  # kept on failure, with the workers' logs


if __name__ == "__main__":
    main()
