"""Reads every feed readmore wrote with feedparser, the parser many feed
readers build on, and fails on anything a reader would trip over.

Usage: check_feeds.py DIR...   (each DIR holds *.atom and *.rss files)
"""

import glob
import os
import sys

import feedparser

EXPECTED_VERSION = {".atom": "atom10", ".rss": "rss20"}


def check_feed(path):
    problems = []
    parsed = feedparser.parse(path)
    ext = os.path.splitext(path)[1]
    if parsed.bozo:
        problems.append(f"bozo: {parsed.bozo_exception!r}")
    if parsed.version != EXPECTED_VERSION[ext]:
        problems.append(f"version {parsed.version!r}, expected {EXPECTED_VERSION[ext]}")
    if not parsed.entries:
        problems.append("no entries")
    self_links = [l.href for l in parsed.feed.get("links", []) if l.get("rel") == "self"]
    if len(self_links) != 1 or not self_links[0].startswith(("http://", "https://")):
        problems.append(f"self links {self_links!r}")
    ids, dates = [], []
    for entry in parsed.entries:
        for field in ("id", "title", "link", "published_parsed", "author", "summary", "content"):
            if not entry.get(field):
                problems.append(f"entry {entry.get('title')!r} lacks {field}")
        ids.append(entry.get("id"))
        dates.append(entry.get("published_parsed"))
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    if len(set(dates)) != len(dates):
        problems.append("entries share a date")
    if dates != sorted(dates, reverse=True):
        problems.append("entries not newest first")
    return parsed, problems


def main(dirs):
    failures = 0
    checked = 0
    for directory in dirs:
        ids_by_name = {}
        for path in sorted(glob.glob(os.path.join(directory, "*.atom")) + glob.glob(os.path.join(directory, "*.rss"))):
            parsed, problems = check_feed(path)
            checked += 1
            name = os.path.splitext(path)[0]
            ids = sorted(e.get("id") for e in parsed.entries)
            if ids_by_name.setdefault(name, ids) != ids:
                problems.append("ids differ between the Atom and RSS feed")
            for problem in problems:
                print(f"{path}: {problem}")
            failures += bool(problems)
    print(f"feedparser {feedparser.__version__}: {checked} feeds checked, {failures} with problems")
    if checked == 0:
        print("no feeds found")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
