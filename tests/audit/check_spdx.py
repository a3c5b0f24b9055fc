#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Every source file carries Petrel's licence header (LICENSE):
#
#   SPDX-FileCopyrightText: 2026 The Petrel developers
#   SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
#
# in its language's comments, as the first lines (after a #! line). Data
# files (fuzz seeds and regression inputs, golden traces, benchmark results,
# docs) are covered by REUSE.toml instead.
#
#   check_spdx.py --root DIR          fail naming each file without the header
#   check_spdx.py --root DIR --fix    add the header where it is missing
import argparse
import os
import subprocess
import sys

COPYRIGHT = "SPDX-FileCopyrightText: 2026 The Petrel developers"
LICENSE = "SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause"

# How each kind of file writes a comment line.
LINE_COMMENT = {".cc": "// ", ".h": "// ", ".c": "// "}
# Assembly (.S and its .inc) goes through the C preprocessor; linker scripts.
BLOCK_COMMENT = {".S": ("/* ", " */"), ".inc": ("/* ", " */"), ".ld": ("/* ", " */")}
HASH_COMMENT = {".sh", ".py", ".cmake", ".in"}
HASH_NAMES = {"CMakeLists.txt", ".ci/run"}
# Data and documentation: REUSE.toml covers them.
SKIP_PREFIXES = ("fuzz/seeds/", "fuzz/regressions/", "perf/results/", "tests/guests/golden/",
                 "LICENSES/")
# The one exception to the licence: the guest kit's Linux module (a test
# driver for the virtio-watchdog device, built for the guest kernel, never
# part of Petrel's binaries) is GPL-2.0-only, as Linux is (REUSE.toml, LICENSE).
OTHER_LICENSES = {"ci/guest-kit/virtio_wdt/": "SPDX-License-Identifier: GPL-2.0-only"}


def comment_style(path):
    name = os.path.basename(path)
    ext = os.path.splitext(path)[1]
    if path.startswith(SKIP_PREFIXES):
        return None
    if ext in LINE_COMMENT:
        return (LINE_COMMENT[ext], "")
    if ext in BLOCK_COMMENT:
        return BLOCK_COMMENT[ext]
    if ext in HASH_COMMENT or name in HASH_NAMES or path in HASH_NAMES:
        return ("# ", "")
    return None


def licence_line(path):
    for prefix, line in OTHER_LICENSES.items():
        if path.startswith(prefix):
            return line
    return LICENSE


def header(style, path):
    begin, end = style
    return [begin + COPYRIGHT + end, begin + licence_line(path) + end]


def has_header(lines, style, path):
    start = 1 if lines and lines[0].startswith("#!") else 0
    return lines[start:start + 2] == header(style, path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--fix", action="store_true")
    args = parser.parse_args()
    files = subprocess.run(["git", "-C", args.root, "ls-files"], capture_output=True, text=True,
                           check=False)
    if files.returncode != 0:
        print("check_spdx: not a git checkout; nothing to check")
        return 0
    missing = []
    checked = 0
    for path in files.stdout.splitlines():
        style = comment_style(path)
        full = os.path.join(args.root, path)
        if style is None or not os.path.isfile(full):
            continue
        checked += 1
        with open(full, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        lines = text.split("\n")
        if has_header(lines, style, path):
            continue
        if not args.fix:
            missing.append(path)
            continue
        start = 1 if lines and lines[0].startswith("#!") else 0
        lines[start:start] = header(style, path)
        with open(full, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(lines))
        print("check_spdx: added the header to " + path)
    for path in missing:
        print("check_spdx: %s: no licence header (run tests/audit/check_spdx.py --root . --fix)"
              % path)
    print("check_spdx: %d files checked, %d without the header" % (checked, len(missing)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
