#!/usr/bin/env python3
"""The README as a reader meets it, checked in CI.

Renders README.md with a CommonMark renderer (markdown-it-py) and fails if
a code fence is left open or swallows prose (a fence line inside a code
block), then checks every example by its info string:

- ```toml: parses (tomllib), then loads as a config file through
  `readmore check --config FILE`, as `readmore build` would load it;
- ```sh: parses with `bash -n`;
- ```json: parses;
- ```cron: every entry has five time fields and a command `bash -n` accepts;
- ```ini: each systemd unit in it (introduced by a `# /etc/systemd/...`
  comment) parses, a service has ExecStart, a timer has a [Timer] section.

Usage: check_readme.py README.md target/release/readmore
"""

import configparser
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib

from markdown_it import MarkdownIt

FENCE_LINE = re.compile(r"^\s{0,3}(```|~~~)")
CRON_TIME = re.compile(r"^[0-9*/,\-]+$")


def fail(errors, where, message):
    errors.append(f"{where}: error: {message}")


def check_fences(path, lines, tokens, errors):
    for token in tokens:
        if token.type != "fence":
            continue
        start, end = token.map
        where = f"{path}:{start + 1}"
        closing = lines[end - 1].strip() if end - 1 > start else ""
        if not (closing.startswith(token.markup) and closing.strip("`~") == ""):
            fail(errors, where, "code fence is never closed; the rest of the file renders as code")
        for offset, line in enumerate(token.content.splitlines()):
            if FENCE_LINE.match(line):
                fail(errors, f"{path}:{start + 2 + offset}",
                     f"fence-like line inside a code block (is a fence closed with text after it?): {line.strip()!r}")


def check_toml(where, code, readmore, errors):
    try:
        tomllib.loads(code)
    except tomllib.TOMLDecodeError as e:
        fail(errors, where, f"TOML example does not parse: {e}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "readmore.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(code)
        result = subprocess.run([readmore, "check", "--config", config],
                                capture_output=True, text=True, cwd=tmp)
        if result.returncode != 0:
            fail(errors, where, f"config example does not load: {result.stderr.strip()}")


def bash_parses(code):
    result = subprocess.run(["bash", "-n"], input=code, capture_output=True, text=True)
    return result.returncode == 0, result.stderr.strip()


def check_sh(where, code, errors):
    ok, message = bash_parses(code)
    if not ok:
        fail(errors, where, f"shell example does not parse: {message}")


def check_json(where, code, errors):
    try:
        json.loads(code)
    except json.JSONDecodeError as e:
        fail(errors, where, f"JSON example does not parse: {e}")


def check_cron(where, code, errors):
    entries = [l for l in code.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    if not entries:
        fail(errors, where, "cron example has no entry")
    for entry in entries:
        fields = entry.split(None, 5)
        if len(fields) < 6 or not all(CRON_TIME.match(f) for f in fields[:5]):
            fail(errors, where, f"cron entry needs five time fields and a command: {entry!r}")
            continue
        ok, message = bash_parses(fields[5])
        if not ok:
            fail(errors, where, f"cron command does not parse: {message}")


def check_ini(where, code, errors):
    units = re.split(r"^# (/etc/systemd/\S+)\n", code, flags=re.M)
    if len(units) < 3:
        fail(errors, where, "systemd example names no unit file (# /etc/systemd/...)")
    for name, body in zip(units[1::2], units[2::2]):
        parser = configparser.ConfigParser(interpolation=None, strict=True)
        parser.optionxform = str
        try:
            parser.read_string(body)
        except configparser.Error as e:
            fail(errors, where, f"{name} does not parse: {e}")
            continue
        if name.endswith(".service") and not parser.has_option("Service", "ExecStart"):
            fail(errors, where, f"{name} has no [Service] ExecStart")
        if name.endswith(".timer") and not parser.has_section("Timer"):
            fail(errors, where, f"{name} has no [Timer] section")


def main(path, readmore):
    readmore = os.path.abspath(readmore)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").parse(text)
    errors = []
    check_fences(path, lines, tokens, errors)
    counts = {}
    for token in tokens:
        if token.type != "fence":
            continue
        kind = token.info.strip().split(" ")[0]
        where = f"{path}:{token.map[0] + 1}"
        check = {
            "toml": lambda: check_toml(where, token.content, readmore, errors),
            "sh": lambda: check_sh(where, token.content, errors),
            "json": lambda: check_json(where, token.content, errors),
            "cron": lambda: check_cron(where, token.content, errors),
            "ini": lambda: check_ini(where, token.content, errors),
        }.get(kind)
        if check:
            check()
            counts[kind] = counts.get(kind, 0) + 1
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        sys.exit(1)
    checked = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    print(f"README: renders as CommonMark; examples checked: {checked}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
