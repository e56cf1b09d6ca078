"""End to end against a real WebSub hub: flask-websub 0.4.1 on loopback.

The hub is a Flask app with PUBLISH_SUPPORTED, a Celery app on the in-memory
broker with task_always_eager (so no Redis), SQLite3HubStorage, and the hub
blueprint at /hub. `readmore serve` serves the feeds (the hub fetches the
topic from it and insists on its Link rel="hub" and rel="self" headers), a
small callback server plays the subscriber (it echoes hub.challenge and
records what the hub delivers).

1. readmore builds the sample; the callback subscribes to space.atom via the hub;
2. readmore builds page B, which adds a space article, and pings the hub;
3. the callback must have received the new space.atom, new article included.

Usage: websub_e2e.py path/to/readmore
"""

import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from celery import Celery
from flask import Flask
from flask_websub.hub import Hub, SQLite3HubStorage
from werkzeug.serving import make_server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEW_TITLE = "NASA picks a second lunar lander for Artemis crews"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hub(port, storage_path):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = Flask("hub")
    app.config["PUBLISH_SUPPORTED"] = True
    celery = Celery("hub", broker="memory://")
    celery.conf.task_always_eager = True
    hub = Hub(SQLite3HubStorage(storage_path), celery, REQUEST_TIMEOUT=5, MAX_ATTEMPTS=1)
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Callback(BaseHTTPRequestHandler):
    verified = []
    delivered = []

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        challenge = query.get("hub.challenge", [""])[0]
        Callback.verified.append(query.get("hub.mode", [""])[0])
        body = challenge.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        Callback.delivered.append((headers, self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    sys.stderr.write(result.stderr)
    return result


def main(readmore):
    readmore = os.path.abspath(readmore)
    work = tempfile.mkdtemp(prefix="readmore-websub-")
    serve_port, hub_port, callback_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{serve_port}/"
    hub_url = f"http://127.0.0.1:{hub_port}/hub"
    topic = base + "space.atom"
    with open(os.path.join(work, "readmore.toml"), "w") as f:
        f.write(f'state = "state.db"\n[site]\ntitle = "WebSub e2e"\nbase_url = "{base}"\n'
                f'[websub]\nhubs = ["{hub_url}"]\nwait = 5\nbackoff = 0.5\n')
    os.makedirs(os.path.join(work, "feeds"))

    start_hub(hub_port, os.path.join(work, "hub.sqlite3"))
    callback = ThreadingHTTPServer(("127.0.0.1", callback_port), Callback)
    threading.Thread(target=callback.serve_forever, daemon=True).start()
    server = subprocess.Popen([readmore, "serve", "--addr", f"127.0.0.1:{serve_port}"], cwd=work,
                              stderr=subprocess.PIPE, text=True)
    try:
        server.stderr.readline()  # "serving ... on http://..."
        first = run([readmore, "build", os.path.join(ROOT, "sample/ars-author-archive.txt"),
                     "--now", "2026-02-20T12:00:00Z"], cwd=work)
        assert first.returncode == 0, f"first build exited {first.returncode}"
        assert "pings: 21 delivered, 0 pending" in first.stderr, "the hub took the first pings"

        form = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.topic": topic,
                                       "hub.callback": f"http://127.0.0.1:{callback_port}/cb"}).encode()
        with urllib.request.urlopen(urllib.request.Request(hub_url, data=form), timeout=10) as response:
            assert response.status == 202, response.status
        assert Callback.verified == ["subscribe"], f"intent verification: {Callback.verified}"

        second = run([readmore, "build", os.path.join(ROOT, "tests/fixtures/pages/page-b.txt"),
                      "--now", "2026-02-20T13:00:00Z"], cwd=work)
        assert second.returncode == 0, f"second build exited {second.returncode}"
        deadline = time.time() + 10
        while not Callback.delivered and time.time() < deadline:
            time.sleep(0.1)
        assert Callback.delivered, "the hub delivered nothing to the subscriber"
        headers, body = Callback.delivered[-1]
        text = body.decode()
        assert NEW_TITLE in text, "the delivered feed lacks the new article"
        assert 'rel="hub"' in headers.get("link", ""), headers
        print(f"websub e2e: subscribed to {topic} via flask-websub; after the second build the hub "
              f"delivered {len(body)} bytes of space.atom with the new article")
    finally:
        server.terminate()
        server.wait(timeout=10)
        callback.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
