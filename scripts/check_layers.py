#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails (exit 1) on an #include that runs against arenakv's layers.

Modules, bottom up: alloc <- skiplist <- mvcc <- tools; bench, examples and
tests sit on top. A file may include its own module and the ones below it,
never one above. Public headers (<module>/include/arenakv/...) include only
public headers, so no arrow runs from the installed API back into a module's
sources. Inside mvcc/ the subsystems have an order of their own (ENGINE below):
a subsystem includes itself and the ones it lists. System and third-party
headers are not checked.

Usage: scripts/check_layers.py [ROOT]   (default: the repository of this script)
"""
import pathlib
import re
import sys

# Who may include whom, by module.
MODULES = {
    "alloc": {"alloc"},
    "skiplist": {"alloc", "skiplist"},
    "mvcc": {"alloc", "skiplist", "mvcc"},
    "tools": {"alloc", "skiplist", "mvcc", "tools"},
    "bench": {"alloc", "skiplist", "mvcc", "bench"},
    "examples": {"alloc", "skiplist", "mvcc"},
    "tests": {"alloc", "skiplist", "mvcc", "tools", "tests"},
}

# mvcc/'s subsystems and what each may include besides itself.
ENGINE = {
    "util": set(),
    "env": {"util"},
    "iter": {"util"},
    "log": {"util", "env"},
    "memtable": {"util", "iter"},
    "table": {"util", "env", "iter"},
    "version": {"util", "env", "iter", "log", "table"},
    "compaction": {"util", "env", "iter", "log", "table", "memtable", "version"},
    "db": {"util", "env", "iter", "log", "table", "memtable", "version", "compaction"},
    "txn": {"util", "env", "iter", "log", "table", "memtable", "version", "compaction", "db"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')
SOURCE_SUFFIXES = {".h", ".cc", ".cpp", ".in"}


def module_of_path(rel):
    """The module a repository file belongs to, and whether it is a public header."""
    top = rel.parts[0]
    public = len(rel.parts) > 2 and rel.parts[1] == "include"
    return (top if top in MODULES else None), public


def target_of_include(name):
    """(module, subsystem, public) that an include names, or None if not ours."""
    parts = name.split("/")
    if parts[0] == "arenakv" and len(parts) > 1:
        if parts[1] in ("alloc", "base") or parts[1] == "version.h":
            return "alloc", None, True
        if parts[1] in ("skiplist", "mvcc"):
            return parts[1], None, True
        return None
    if parts[0] in MODULES:
        sub = parts[1] if parts[0] == "mvcc" and len(parts) > 2 else None
        return parts[0], sub, False
    return None


def check(root):
    errors = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        if rel.parts[0].startswith("build") or rel.parts[0].startswith("."):
            continue
        module, public = module_of_path(rel)
        if module is None:
            continue
        own_sub = rel.parts[1] if module == "mvcc" and not public and len(rel.parts) > 2 else None
        for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = target_of_include(m.group(1))
            if target is None:
                continue
            to_module, to_sub, to_public = target
            where = f"{rel}:{lineno}: #include {m.group(1)!r}"
            if to_module not in MODULES[module]:
                errors.append(f"{where}: {module}/ may not include {to_module}/ "
                              f"(layers: alloc <- skiplist <- mvcc <- tools)")
            elif public and not to_public:
                errors.append(f"{where}: a public header may include only public headers")
            elif (own_sub and to_sub and to_sub != own_sub
                  and to_sub not in ENGINE.get(own_sub, set())):
                errors.append(f"{where}: mvcc/{own_sub}/ may not include mvcc/{to_sub}/ "
                              f"(it may include: {', '.join(sorted(ENGINE[own_sub])) or 'nothing'})")
            elif module == "examples" and not to_public:
                errors.append(f"{where}: examples use the public headers only")
    return errors


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else __file__).resolve()
    if len(sys.argv) <= 1:
        root = root.parent.parent
    errors = check(root)
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"check_layers: {len(errors)} forbidden include(s)", file=sys.stderr)
        return 1
    print("check_layers: every include follows the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
