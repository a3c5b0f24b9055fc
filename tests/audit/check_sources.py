#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Source half of the guest-reachability audit (docs/security-audit.md).
#
# What the binary check (check_objects.py) cannot see in an optimized build:
# assert() (compiled out under NDEBUG, an abort in Debug builds), a Petrel
# `throw` (its typeinfo may be one nm cannot tell from any other class),
# __builtin_trap() and std::unreachable (no symbol at all). Fails naming the
# file and line, unless source_allowlist.txt names the file and construct
# with the reason.
#
#   check_sources.py --root DIR --allowlist FILE SUBDIR...
#
# Tests and test helpers (*_test.cc, *_test_util.h, testing/, fake_*) are
# not guest-reachable and are skipped. Comments and string literals are
# blanked before matching.
import argparse
import fnmatch
import os
import re
import sys

RULES = {
    "assert": re.compile(r"(?<![\w.])assert\s*\("),
    "throw": re.compile(r"\bthrow\b"),
    "__builtin_trap": re.compile(r"\b__builtin_trap\s*\("),
    "std::unreachable": re.compile(r"\bstd::unreachable\s*\("),
}
SKIP = ("*_test.cc", "*_test_util.h", "*/testing/*", "*/fake_*", "*_fuzz.cc")
STRIP = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def blank(text):
    """Comments and literals become spaces (newlines kept: line numbers hold)."""
    return STRIP.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def load_allowlist(path):
    """Entries `file glob | rule | reason`."""
    entries = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or parts[1] not in RULES or not parts[2]:
                sys.exit(f"{path}:{n}: want 'file | rule | reason' with a rule of {sorted(RULES)}")
            entries.append((parts[0], parts[1]))
    return entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--allowlist", required=True)
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    entries = load_allowlist(args.allowlist)
    failures = []
    files = 0
    for d in args.dirs:
        for base, _, names in os.walk(os.path.join(args.root, d)):
            for name in sorted(names):
                if not name.endswith((".cc", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(base, name), args.root)
                if any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in SKIP):
                    continue
                files += 1
                with open(os.path.join(base, name), encoding="utf-8") as f:
                    lines = blank(f.read()).splitlines()
                for n, line in enumerate(lines, 1):
                    for rule, pattern in RULES.items():
                        if pattern.search(line) and not any(
                                fnmatch.fnmatchcase(rel, g) and r == rule for g, r in entries):
                            failures.append(f"{rel}:{n}: {rule}")
    print(f"checked {files} source files")
    if failures:
        print("guest-reachable sources use what ends the VMM "
              "(fix it, or allow-list it with the reason; docs/security-audit.md):")
        for f in failures:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
