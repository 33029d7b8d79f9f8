#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The layers of docs/architecture.md, as a test: every #include in plugin/ names a layer its
file may use, the pure layers include no libpurple header, and the purple adapter modules
include one another without a cycle. A planted violation in a scratch tree must be caught too,
so the check cannot pass by checking nothing."""
import os
import re
import sys
import tempfile
import unittest

ROOT = os.environ.get("TB_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# What each layer may include, bottom up ("http-message" is http/'s plain request and response
# types, which the api layer builds; "http" is the libcurl driver on libpurple's loop).
ALLOWED = {
    "core": {"core"},
    "http-message": {"core", "http-message"},
    "api": {"core", "http-message", "api"},
    "http": {"core", "http-message", "http"},
    "purple": {"core", "http-message", "api", "http", "purple"},
    "dbus": {"core", "http-message", "api", "http", "dbus"},
}
# The plugin's root (the prpl boilerplate) wires the two sibling adapters together.
ROOT_FILES = {"purple/twinbird.c": {"dbus"}}
# Layers that must stay free of libpurple, so their unit tests need no client.
PURE = {"core", "http-message", "api"}
# Include cycles among purple/ modules that docs/architecture.md justifies: none.
JUSTIFIED_CYCLES = set()

INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)


def layer_of(rel):
    """The layer of a file (path relative to plugin/), or None for build-generated headers."""
    top = rel.split("/", 1)[0]
    if top == "http" and os.path.basename(rel).startswith("tb-http-message"):
        return "http-message"
    return top if top in ALLOWED else None


def include_layer(name, including_rel, plugin_dir):
    """The layer a quoted include names: "core/x.h", or "x.h" beside the including file (else it
    is include/'s public header or a build-generated one: no layer)."""
    if "/" in name:
        top = name.split("/", 1)[0]
        if top == "http" and os.path.basename(name).startswith("tb-http-message"):
            return "http-message"
        return top if top in ALLOWED else None
    beside = os.path.join(os.path.dirname(including_rel), name)
    return layer_of(beside) if os.path.exists(os.path.join(plugin_dir, beside)) else None


def sources(plugin_dir):
    for dirpath, _, files in os.walk(plugin_dir):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                path = os.path.join(dirpath, f)
                yield os.path.relpath(path, plugin_dir), path


def check_tree(plugin_dir):
    """Every violation in the tree, as readable lines; [] when it keeps the layers."""
    problems = []
    graph = {}
    for rel, path in sources(plugin_dir):
        layer = layer_of(rel)
        if layer is None:
            continue
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for kind, name in INCLUDE.findall(text):
            if kind == "<":
                if layer in PURE and (name == "purple.h" or name.startswith("libpurple/")
                                      or name in ("eventloop.h", "debug.h", "account.h")):
                    problems.append(f"{rel}: the {layer} layer is pure, yet includes <{name}>")
                continue
            target = include_layer(name, rel, plugin_dir)
            if target is None:
                continue  # tb-build-config.h, twinbird.h (include/), gen/
            allowed = ALLOWED[layer] | ROOT_FILES.get(rel, set())
            if target not in allowed:
                problems.append(f"{rel}: the {layer} layer may not include {name} ({target})")
            if layer == "purple" and target == "purple":
                me = os.path.splitext(os.path.basename(rel))[0]
                other = os.path.splitext(os.path.basename(name))[0]
                if other != me:
                    graph.setdefault(me, set()).add(other)
    problems += [f"include cycle among purple/ modules: {' -> '.join(c)}"
                 for c in cycles(graph) if tuple(c) not in JUSTIFIED_CYCLES]
    return problems


def cycles(graph):
    found, state, stack = [], {}, []

    def visit(u):
        state[u] = "open"
        stack.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == "open":
                found.append(stack[stack.index(v):] + [v])
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = "done"

    for u in sorted(graph):
        if u not in state:
            visit(u)
    return found


class Layers(unittest.TestCase):
    def test_plugin_keeps_its_layers(self):
        plugin = os.path.join(ROOT, "plugin")
        self.assertTrue(os.path.isdir(os.path.join(plugin, "core")), plugin)
        self.assertEqual(check_tree(plugin), [])

    def scratch(self, files):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        for rel, text in files.items():
            path = os.path.join(d.name, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        return d.name

    def test_a_lower_layer_including_a_higher_one_is_caught(self):
        tree = self.scratch({
            "core/tb-a.c": '#include "tb-a.h"\n#include "purple/tb-conn.h"\n',
            "api/tb-b.c": '#include "http/tb-http.h"\n',
            "http/tb-http-message.c": '#include "api/tb-xapi.h"\n',
            "dbus/tb-d.c": '#include "purple/tb-send.h"\n',
            "purple/tb-e.c": '#include "dbus/tb-dbus.h"\n',
        })
        problems = check_tree(tree)
        for needle in ("core/tb-a.c", "api/tb-b.c", "http/tb-http-message.c", "dbus/tb-d.c",
                       "purple/tb-e.c"):
            self.assertTrue(any(p.startswith(needle) for p in problems), (needle, problems))

    def test_libpurple_in_a_pure_layer_is_caught(self):
        tree = self.scratch({"core/tb-a.c": "#include <purple.h>\n",
                             "http/tb-http.c": "#include <purple.h>\n"})
        self.assertEqual(len(check_tree(tree)), 1)

    def test_a_cycle_among_adapters_is_caught(self):
        tree = self.scratch({
            "purple/tb-a.c": '#include "tb-a.h"\n#include "tb-b.h"\n',
            "purple/tb-a.h": "",
            "purple/tb-b.c": '#include "tb-b.h"\n#include "tb-a.h"\n#include "twinbird.h"\n',
            "purple/tb-b.h": "",
            "purple/twinbird.c": '#include "dbus/tb-dbus.h"\n',
        })
        self.assertEqual(check_tree(tree), ["include cycle among purple/ modules: tb-a -> tb-b -> tb-a"])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
