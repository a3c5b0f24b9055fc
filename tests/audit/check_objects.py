#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Petrel developers
# SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause
# Binary half of the guest-reachability audit (docs/security-audit.md).
#
# Reads the static libraries of the guest-reachable code and fails if an
# object file references a symbol that ends the process (abort, exit, a
# failed assert), throws an index error (std::out_of_range from .at()), or
# throws an exception type outside the library's own precondition types,
# unless allowlist.txt names that object, symbol and calling function with
# the reason it cannot be reached from guest data.
#
#   check_objects.py --nm NM --objdump OBJDUMP --allowlist FILE LIB.a...
#
# nm lists every undefined symbol of every object (what a macro cannot hide);
# objdump's relocations name the function that references it, so an entry
# covers one reviewed call site, not a whole file.
import argparse
import fnmatch
import os
import re
import subprocess
import sys

# Ends the process: never from guest data.
FORBIDDEN = {
    "abort",
    "exit",
    "_exit",
    "_Exit",
    "quick_exit",
    "__assert_fail",
    "__assert_perror_fail",
    "__assert",
    # Result<T>::value() on an error (core/base/result.h): a Petrel bug.
    "petrel::detail::ValueOfFailedResult(petrel::Error const&)",
    # .at(), substr(), stoi() and friends with a bad index or text.
    "std::__throw_out_of_range(char const*)",
    "std::__throw_out_of_range_fmt(char const*, ...)",
    "std::__throw_invalid_argument(char const*)",
}

# Exception types the C++ library's inline code throws on a broken
# precondition of its own; an object that references __cxa_throw may carry
# these typeinfos. Any other exception-like typeinfo next to __cxa_throw is a
# Petrel throw (or an optional::value() on an empty optional) and fails.
LIBRARY_THROWS = {
    "std::exception",           # base of the ones below
    "std::bad_variant_access",  # std::get: Result reads the variant after ok()
    "std::bad_weak_ptr",        # shared_ptr(weak_ptr): host-side lifetimes
    "std::system_error",        # std::thread / std::mutex: host resources
}
EXCEPTION_LIKE = re.compile(
    r"^(std::.*(error|exception|bad_\w+)|int|long|unsigned.*|char.*|bool|double|float)$")

RELOC = re.compile(r"^\s*[0-9a-f]+:\s+R_\S+\s+(.*?)(?:[+-]0x[0-9a-f]+)?\s*$")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.*)>:$")
MEMBER = re.compile(r"^(\S+\.o):\s+file format")
NM_LINE = re.compile(r"^.*?:([^:/]+\.o):(.*)$")
CLONE = re.compile(r" \[clone [^\]]*\]")


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def symbols(nm, lib):
    """{member: {(kind, symbol)}} from nm -C -A."""
    out = {}
    for line in run([nm, "-C", "-A", lib]).splitlines():
        # lib.a:member.o:<address> <kind> <name>, address blank when undefined
        m = NM_LINE.match(line)
        if not m:
            continue
        rest = m.group(2)
        fields = rest.split(None, 1) if rest[:1] == " " else rest.split(None, 2)[1:]
        if len(fields) < 2:
            continue
        out.setdefault(m.group(1), set()).add((fields[0], fields[1].split("@")[0]))
    return out


def callers(objdump, lib, wanted):
    """{(member, symbol): {function}} for the relocations naming `wanted`."""
    out = {}
    member = function = None
    for line in run([objdump, "-dr", "-C", "--no-show-raw-insn", lib]).splitlines():
        if m := MEMBER.match(line):
            member, function = os.path.basename(m.group(1)), None
        elif m := FUNCTION.match(line):
            function = CLONE.sub("", m.group(1))
        elif (m := RELOC.match(line)) and m.group(1) in wanted:
            out.setdefault((member, m.group(1)), set()).add(function or "<data>")
    return out


def load_allowlist(path):
    """Entries `symbol | object | function glob | reason`."""
    entries = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 4 or not parts[3]:
                sys.exit(f"{path}:{n}: want 'symbol | object | function | reason'")
            entries.append({"line": n, "symbol": parts[0], "object": parts[1],
                            "function": parts[2], "used": False})
    return entries


def allowed(entries, member, symbol, function):
    for e in entries:
        if (e["symbol"] == symbol and fnmatch.fnmatchcase(member, e["object"]) and
                fnmatch.fnmatchcase(function, e["function"])):
            e["used"] = True
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--objdump", default="objdump")
    ap.add_argument("--allowlist", required=True)
    ap.add_argument("libs", nargs="+")
    args = ap.parse_args()
    entries = load_allowlist(args.allowlist)
    failures = []
    checked = 0
    for lib in args.libs:
        syms = symbols(args.nm, lib)
        hits = {}  # member -> {symbol}
        for member, kinds in syms.items():
            checked += 1
            undefined = {s for k, s in kinds if k == "U"}
            for s in undefined & FORBIDDEN:
                hits.setdefault(member, set()).add(s)
            if "__cxa_throw" in undefined:
                for k, s in kinds:
                    t = s[len("typeinfo for "):] if s.startswith("typeinfo for ") else None
                    if t and EXCEPTION_LIKE.match(t) and t not in LIBRARY_THROWS:
                        failures.append(f"{lib}: {member}: throws '{t}' (__cxa_throw)")
        if not hits:
            continue
        where = callers(args.objdump, lib, set().union(*hits.values()))
        for member, names in sorted(hits.items()):
            for s in sorted(names):
                for fn in sorted(where.get((member, s), {"<unknown>"})):
                    if not allowed(entries, member, s, fn):
                        failures.append(f"{lib}: {member}: '{s}' referenced by {fn}")
    for e in entries:
        if not e["used"]:
            # Compilers inline differently (g++ vs clang): a note, not a failure.
            print(f"note: {args.allowlist}:{e['line']} matched nothing in this build")
    print(f"checked {checked} objects in {len(args.libs)} libraries")
    if failures:
        print("guest-reachable code references what ends the VMM "
              "(fix it, or allow-list it with the reason; docs/security-audit.md):")
        for f in failures:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
