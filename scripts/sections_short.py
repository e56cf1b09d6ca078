#!/usr/bin/env python3
"""How well readmore's classifier files short texts: a title and a summary.

Reads the practice sets at run time from ../shared (never copies them):

* realfeeds-dev: every gold item's title and the feed's own summary
  (RSS description, Atom summary/content, JSON Feed summary), cut to
  --words words, are written to a scratch text dump (or, with
  --categories, to a scratch HTML listing that also carries the item's
  categories as `rel="category tag"` links) and run through
  `readmore explain`; the section is compared with the gold section or
  its alternatives (English items).
* realpages-dev: `readmore explain` on each listing page; only the share
  filed under `other` is reported (the pages have no gold sections).

Run from the project root after `cargo build --release`:

    python3 scripts/sections_short.py [--bin target/release/readmore] [-v]
"""
import argparse
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SHARED = None  # the folder holding the practice sets; see find_shared()


def find_shared(given):
    """--shared, else the nearest `shared` folder beside the working directory or above it."""
    if given:
        return given
    here = os.getcwd()
    while True:
        candidate = os.path.join(os.path.dirname(here), "shared")
        if os.path.isdir(os.path.join(candidate, "realfeeds-dev")):
            return candidate
        if os.path.dirname(here) == here:
            sys.exit("no ../shared/realfeeds-dev found; pass --shared DIR")
        here = os.path.dirname(here)


def local(tag):
    return tag.rsplit("}", 1)[-1]


def text_of(e):
    return "".join(e.itertext()) if e is not None else ""


def strip_html(s):
    s = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", s or "")
    s = html.unescape(re.sub(r"<[^>]*>", " ", s))
    return re.sub(r"\s+", " ", s).strip()


def xml_items(raw):
    """[(title, summary, categories)] of an RSS, RDF or Atom document."""
    if raw.startswith(b"\xff\xfe") or raw[:2] == b"<\x00":
        raw = raw.decode("utf-16").encode("utf-8")
        raw = re.sub(rb'encoding="utf-16"', b'encoding="utf-8"', raw, flags=re.I)
    raw = raw.lstrip(b"\xef\xbb\xbf").lstrip()
    root = ET.fromstring(raw)
    out = []
    for e in root.iter():
        if local(e.tag) not in ("item", "entry"):
            continue
        fields, cats = {}, []
        for c in e:
            name = local(c.tag)
            if name == "category":
                cats.append(c.get("label") or c.get("term") or text_of(c))
            elif name == "subject":
                cats.append(text_of(c))
            elif name == "group":
                for g in c:
                    if local(g.tag) == "description":
                        fields.setdefault("description", text_of(g))
            else:
                fields.setdefault(name, text_of(c))
        summary = fields.get("description") or fields.get("summary") or fields.get("encoded") or fields.get("content") or ""
        out.append((strip_html(fields.get("title", "")), strip_html(summary), [c.strip() for c in cats if c.strip()]))
    return out


def json_items(raw):
    feed = json.loads(raw)
    return [
        (strip_html(i.get("title", "")),
         strip_html(i.get("summary") or i.get("content_text") or i.get("content_html") or ""),
         i.get("tags") or [])
        for i in feed.get("items", [])
    ]


def feed_texts(words):
    """[(title, summary, categories, gold sections or None, lang)] of every gold item."""
    base = os.path.join(SHARED, "realfeeds-dev")
    out = []
    with open(os.path.join(base, "gold.jsonl"), encoding="utf-8") as f:
        for line in f:
            g = json.loads(line)
            raw = open(os.path.join(base, g["file"]), "rb").read()
            items = json_items(raw) if g["file"].endswith(".json") else xml_items(raw)
            by_title = {norm(t): (s, c) for t, s, c in items}
            for i, item in enumerate(g["items"]):
                summary, cats = by_title.get(norm(item["title"]), ("", []))
                if not summary and len(items) == len(g["items"]):
                    summary, cats = items[i][1], items[i][2]
                want = None
                if item.get("section"):
                    want = [item["section"]] + item.get("section_alternatives", [])
                summary = " ".join(summary.split()[:words])
                out.append((item["title"], summary, cats or item.get("categories", []), want, g["lang"]))
    return out


def norm(s):
    return re.sub(r"\W+", " ", s or "").strip().lower()


def slug(title):
    return title.lower().replace(" ", "-")


def dump(texts):
    parts = []
    for title, summary, _, _, _ in texts:
        body = summary if summary else "No summary."
        if body[-1:] not in ".!?\u3002":
            body += "."
        parts.append(f"{slug(title)}\n\n{title}\n\n{body}\n\n{title} Read More \u00bb\n")
    return "\n".join(parts)


def listing(texts):
    parts = ["<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Listing</title></head><body><main>"]
    for n, (title, summary, cats, _, _) in enumerate(texts):
        url = f"https://example.org/p/{n}/"
        links = ", ".join(f'<a href="https://example.org/c/{n}/" rel="category tag">{html.escape(c)}</a>' for c in cats)
        parts.append(
            f'<article class="post"><h2 class="entry-title"><a href="{url}">{html.escape(title)}</a></h2>'
            f'<div class="entry-content"><p>{html.escape(summary or "No summary.")}</p>'
            f'<a class="more-link" href="{url}">Read more</a></div>'
            f'<footer class="entry-meta">Posted in {links}</footer></article>'
        )
    parts.append("</main></body></html>")
    return "\n".join(parts)


def explain(binary, path):
    """The section of each article `readmore explain` reports, in order, with its title."""
    p = subprocess.run([binary, "explain", path], capture_output=True, text=True, timeout=600,
                       cwd=os.path.dirname(path))
    out, title = [], None
    for line in p.stdout.splitlines():
        if not line.startswith(" ") and ": " in line:
            title = line.split(": ", 1)[1]
        m = re.match(r"\s+section: (\S+)", line)
        if m:
            out.append((title, m.group(1)))
    return out, p.stderr


def measure_feeds(binary, words, categories, verbose):
    texts = feed_texts(words)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "items.html" if categories else "items.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(listing(texts) if categories else dump(texts))
        got, err = explain(binary, path)
    if len(got) != len(texts):
        print(f"explain found {len(got)} of {len(texts)} items; stderr:\n{err}", file=sys.stderr)
        got_by = {norm(t): s for t, s in got}
        sections = [got_by.get(norm(t[0]), "missing") for t in texts]
    else:
        sections = [s for _, s in got]
    right = judged = other = 0
    for (title, summary, cats, want, lang), s in zip(texts, sections):
        other += s == "other"
        if want is None:
            continue
        judged += 1
        if s in want:
            right += 1
        elif verbose:
            print(f"  {s:8} want {'/'.join(want):16} {title[:70]} {cats[:3] if categories else ''}")
    n = len(texts)
    print(f"feeds ({words} words{', with categories' if categories else ''}): "
          f"right {right}/{judged} ({100 * right / judged:.1f}%), "
          f"other {other}/{n} ({100 * other / n:.1f}%)")


def measure_pages(binary, verbose):
    base = os.path.join(SHARED, "realpages-dev", "pages")
    n = other = 0
    for name in sorted(os.listdir(base)):
        got, _ = explain(binary, os.path.join(base, name))
        n += len(got)
        other += sum(s == "other" for _, s in got)
        if verbose:
            for title, s in got:
                print(f"  {name} {s:8} {title[:80]}")
    print(f"pages: other {other}/{n} ({100 * other / max(n, 1):.1f}%)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/release/readmore")
    ap.add_argument("--words", type=int, default=40, help="summary words kept (default 40)")
    ap.add_argument("--categories", action="store_true", help="give the feed items' categories too")
    ap.add_argument("--shared", help="folder holding realfeeds-dev and realpages-dev (default: ../shared)")
    ap.add_argument("-v", action="store_true", help="list each miss")
    args = ap.parse_args()
    global SHARED
    SHARED = find_shared(args.shared)
    binary = os.path.abspath(args.bin)
    measure_feeds(binary, args.words, args.categories, args.v)
    measure_pages(binary, args.v)


if __name__ == "__main__":
    main()
