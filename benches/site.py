#!/usr/bin/env python3
"""A loopback web site for benches/sources.sh: serves the files of one
directory over HTTP/1.1 (keep-alive, a thread per connection) with an
ETag (SHA-1 of the bytes) and answers a matching If-None-Match with 304,
each answer DELAY_MS late (a host across a network). Listens on PORTS
free ports of 127.0.0.1 (to a client, PORTS hosts) and prints them on
its first line.

usage: benches/site.py DIR PORTS DELAY_MS
"""
import hashlib
import http.server
import os
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(self.server.delay)
        path = os.path.join(self.server.root, os.path.basename(self.path))
        try:
            with open(path, "rb") as f:
                body = f.read()
        except OSError:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = '"%s"' % hashlib.sha1(body).hexdigest()
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    root, ports, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000
    servers = []
    for _ in range(ports):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.root, server.delay = root, delay
        servers.append(server)
    print(" ".join(str(s.server_address[1]) for s in servers), flush=True)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
