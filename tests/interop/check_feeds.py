"""Checks what readmore wrote with third-party parsers, the way feed readers
and validators read it:

- every Atom and RSS feed with feedparser (the parser many readers build
  on): bozo == 0, the right version, ids unique, dates present and distinct;
- every JSON Feed against the JSON Feed 1.1 schema (jsonschema), with
  RFC 3339 dates;
- every feed's HTML content, the index page and every article page with
  html5lib in strict mode, as the W3C Feed Validation Service parses HTML;
- index.opml: well-formed, and every outline points at a feed that exists;
- the same ids in every format of a feed.

Usage: check_feeds.py DIR... [--republished DIR...]   (each DIR is an
output directory). The directories after `--republished` were built from
feed sources, whose items keep what the publisher gave: an entry may have
no author, carry its content without a summary, and share
a publisher's date with another entry.
"""

import datetime
import importlib.metadata
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET

import feedparser
import html5lib
import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_VERSION = {".atom": "atom10", ".rss": "rss20"}
SCHEMA = json.load(open(os.path.join(HERE, "jsonfeed-1.1.schema.json")))
STRICT = html5lib.HTMLParser(strict=True)


def strict_html(text, fragment):
    try:
        STRICT.parseFragment(text) if fragment else STRICT.parse(text)
        return None
    except html5lib.html5parser.ParseError as e:
        return f"invalid HTML: {e}"


def check_xml_feed(path, republished):
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
    dates = []
    for entry in parsed.entries:
        for field in ("id", "title", "link", "published_parsed", "author", "summary", "content"):
            if republished and field == "author":
                continue
            if republished and field == "summary" and entry.get("content"):
                continue
            if not entry.get(field):
                problems.append(f"entry {entry.get('title')!r} lacks {field}")
        for content in entry.get("content", []):
            problem = strict_html(content.value, fragment=True)
            if problem:
                problems.append(f"entry {entry.get('title')!r}: {problem}")
        dates.append(entry.get("published_parsed"))
    if not republished and len(set(dates)) != len(dates):
        problems.append("entries share a date")
    if dates != sorted(dates, reverse=True):
        problems.append("entries not newest first")
    return [e.get("id") for e in parsed.entries], problems


def check_json_feed(path, _republished):
    problems = []
    feed = json.load(open(path, encoding="utf-8"))
    for error in jsonschema.Draft202012Validator(SCHEMA).iter_errors(feed):
        problems.append(f"schema: {error.message} at {list(error.absolute_path)}")
    for item in feed.get("items", []):
        for field in ("date_published", "date_modified"):
            try:
                datetime.datetime.fromisoformat(item.get(field, ""))
            except ValueError:
                problems.append(f"item {item.get('id')}: {field} {item.get(field)!r} is not RFC 3339")
        problem = strict_html(item.get("content_html", ""), fragment=True)
        if problem:
            problems.append(f"item {item.get('id')}: {problem}")
    return [i.get("id") for i in feed.get("items", [])], problems


def check_site(directory):
    problems = []
    pages = glob.glob(os.path.join(directory, "index.html")) + glob.glob(os.path.join(directory, "articles", "*.html"))
    for page in pages:
        problem = strict_html(open(page, "rb").read(), fragment=False)
        if problem:
            problems.append(f"{page}: {problem}")
    opml = os.path.join(directory, "index.opml")
    if os.path.exists(opml):
        root = ET.parse(opml).getroot()
        for outline in root.iter("outline"):
            name = outline.get("xmlUrl", "").rsplit("/", 1)[-1]
            if not os.path.exists(os.path.join(directory, name)):
                problems.append(f"{opml}: outline {outline.get('title')!r} points at missing {name}")
    return len(pages), problems


def main(args):
    failures = checked = pages = 0
    republished = False
    for directory in args:
        if directory == "--republished":
            republished = True
            continue
        ids_by_name = {}
        paths = sorted(glob.glob(os.path.join(directory, "*.atom")) + glob.glob(os.path.join(directory, "*.rss"))
                       + glob.glob(os.path.join(directory, "*.json")))
        for path in paths:
            ids, problems = (check_json_feed if path.endswith(".json") else check_xml_feed)(path, republished)
            checked += 1
            if len(set(ids)) != len(ids):
                problems.append("duplicate ids")
            name = os.path.splitext(path)[0]
            if sorted(ids_by_name.setdefault(name, ids)) != sorted(ids):
                problems.append("ids differ between the formats of this feed")
            for problem in problems:
                print(f"{path}: {problem}")
            failures += bool(problems)
        count, problems = check_site(directory)
        pages += count
        for problem in problems:
            print(problem)
        failures += len(problems)
    print(f"feedparser {feedparser.__version__}, jsonschema {importlib.metadata.version('jsonschema')}, html5lib {html5lib.__version__}: "
          f"{checked} feeds and {pages} pages checked, {failures} with problems")
    if checked == 0:
        print("no feeds found")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
