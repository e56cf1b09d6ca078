#!/usr/bin/env python3
"""Fails when the modules of src/ import each other in a cycle.

A module is a top-level file or directory of src/ (a directory's files are
one module); an import is any `crate::name` outside comments and test code
(`#[cfg(test)]` onwards, and files named tests.rs). Prints each cycle (a
strongly connected set of modules) with the imports that close it and
exits 1 if there is one.
"""
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "src")


def imports():
    graph = {}
    for folder, _, files in os.walk(SRC):
        for name in files:
            if not name.endswith(".rs") or name == "tests.rs":
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, SRC)[:-3].split(os.sep)
            top = parts[0]
            if top in ("main", "lib"):
                continue
            code = open(path, encoding="utf-8").read().split("#[cfg(test)]")[0]
            code = "\n".join(l for l in code.split("\n") if not l.strip().startswith("//"))
            used = set(re.findall(r"crate::(\w+)", code))
            for group in re.findall(r"use crate::\{([^}]*)\}", code):
                used |= set(re.findall(r"(?:^|,)\s*(\w+)", group))
            graph.setdefault(top, set()).update(used - {top})
    return {m: {d for d in deps if d in graph} for m, deps in graph.items()}


def cycles(graph):
    """Tarjan's strongly connected components, those of more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


graph = imports()
found = cycles(graph)
for component in found:
    print("import cycle: " + ", ".join(component))
    for m in component:
        print("  %s uses %s" % (m, ", ".join(sorted(graph[m] & set(component)))))
if found:
    sys.exit(1)
print("no import cycles among %d modules" % len(graph))
