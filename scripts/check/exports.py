#!/usr/bin/env python3
"""check: no unused exported symbols in the product (after a build).

    scripts/check/exports.py [BUILD_DIR]     (default: build/)

STYLE.md habit 2: everything not in a module's header is static. For every global function
or object defined in the product's objects (the libraries of PRODUCT_TARGETS and the
daemon's main.o), this asks whether ANOTHER product object references it (nm -u):

  * "used only in its own file: make it static"  -- its own object refers to it (a
    relocation outside the debug info), or its own source names it again, and no test
    calls it (a function its unit test pins stays in the header: that is the contract);
  * "used nowhere in the product"                  -- neither; when test or tool objects
    in the build reference it, they are named (such an API is kept only for tests).

A symbol only tests and tools use is a deliberate exception or a defect: it must be in
scripts/check/exports-allowed.txt (one symbol or glob per line, with a "# reason"), and
whatever the list says, it must not be in the plenaryd binary (the build links with
--gc-sections, so nothing only tests call is shipped). Prints "file:line: symbol: ..."
per problem and exits 1. Needs binutils (nm, objdump) and a RelWithDebInfo or Debug build
for the file:line.
"""
import fnmatch
import os
import re
import subprocess
import sys

# CMake targets whose objects are the product.
PRODUCT_TARGETS = ["plenary_queue", "plenary_rooms", "plenary_media", "plenary_gateway",
                   "plenary_base", "plenaryd"]
# Symbols the toolchain, not the product, refers to.
ALWAYS_ALLOWED = ["main"]

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ALLOWLIST = os.path.join(ROOT, "scripts", "check", "exports-allowed.txt")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def target_objects(build, target_dir):
    """(object, source) pairs of one target: from DependInfo.cmake, which lists only what
    the current build compiles (a moved source leaves its old .o behind), else every .o."""
    info = os.path.join(target_dir, "DependInfo.cmake")
    pairs = []
    if os.path.isfile(info):
        with open(info) as f:
            for src, obj in re.findall(r'^\s*"([^"]+)"\s+"([^"]+\.o)"', f.read(), re.M):
                obj = obj if os.path.isabs(obj) else os.path.join(build, obj)
                if os.path.isfile(obj):
                    pairs.append((obj, src))
    if not pairs:
        for d, _, files in os.walk(target_dir):
            pairs += [(os.path.join(d, o), None) for o in files if o.endswith(".o")]
    return pairs


def find_objects(build):
    """{target: [(obj, src)]} for every CMake target dir in the build."""
    found = {}
    for d, dirs, _ in os.walk(build):
        for sub in dirs:
            if sub.endswith(".dir") and os.path.basename(d) == "CMakeFiles":
                found.setdefault(sub[:-4], []).extend(
                    target_objects(build, os.path.join(d, sub)))
    return found


def defined(obj):
    """{symbol: "file:line" or ""} of the global symbols obj defines."""
    out = {}
    for line in run("nm", "-l", "-g", "--defined-only", obj).splitlines():
        head, _, where = line.partition("\t")
        parts = head.split()
        if len(parts) >= 3 and parts[1] not in "Uw":
            out[parts[2]] = where
    return out


def undefined(obj):
    return {line.split()[0] for line in run("nm", "-u", "-P", obj).splitlines() if line.strip()}


def own_references(obj):
    """Symbols obj's code or data refers to by relocation (not its debug info)."""
    refs, keep = set(), False
    for line in run("objdump", "-r", obj).splitlines():
        if line.startswith("RELOCATION RECORDS FOR ["):
            sec = line[len("RELOCATION RECORDS FOR ["):-2]
            keep = not (sec.startswith(".debug") or sec.startswith(".eh_frame"))
        elif keep:
            parts = line.split()
            if len(parts) == 3 and re.match(r"^[0-9a-f]+$", parts[0]):
                refs.add(re.split(r"[+-]0x", parts[2])[0])
    return refs


def named_again(src, sym):
    """Does the source name sym more than once (its definition), comments and strings aside?"""
    if not src or not os.path.isfile(src):
        return False
    with open(src, encoding="utf-8", errors="replace") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/|//[^\n]*|\"(\\.|[^\"\\\n])*\"|'(\\.|[^'\\\n])*'", " ", text,
                  flags=re.S)
    return len(re.findall(r"\b%s\b" % re.escape(sym), text)) > 1


def load_allowlist():
    pats = []
    if os.path.isfile(ALLOWLIST):
        with open(ALLOWLIST) as f:
            for line in f:
                pat = line.split("#", 1)[0].strip()
                if pat:
                    pats.append(pat)
    return pats


def source_dir(build):
    """The source tree the build was configured from (paths are shown relative to it)."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            m = re.search(r"^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$", f.read(), re.M)
            return m.group(1) if m else ROOT
    except OSError:
        return ROOT


def where_of(where, obj, top):
    """(path, line) of a definition, for printing and sorting."""
    if not where:
        return os.path.relpath(obj, top), 0
    path, _, line = where.rpartition(":")
    return (os.path.relpath(path, top) if os.path.isabs(path) else path,
            int(line) if line.isdigit() else 0)


def main(argv):
    build = os.path.abspath(argv[0] if argv else os.path.join(ROOT, "build"))
    if not os.path.isdir(build):
        print("exports: no build in %s (make build first)" % build)
        return 2
    targets = find_objects(build)
    product = [(t, o, s) for t in PRODUCT_TARGETS for o, s in targets.get(t, [])]
    if not product:
        print("exports: no objects of %s in %s (make build first)" % (
            ", ".join(PRODUCT_TARGETS), build))
        return 2
    others = [(t, o) for t, pairs in targets.items() if t not in PRODUCT_TARGETS
              for o, _ in pairs]

    needs = {o: undefined(o) for _, o, _ in product}
    test_needs = {}
    for t, o in others:
        for sym in undefined(o):
            test_needs.setdefault(sym, set()).add(t)
    allowed = load_allowlist()
    top = source_dir(build)
    daemon = os.path.join(build, "plenaryd")
    shipped = set()
    if os.path.isfile(daemon):
        shipped = {l.split()[-1] for l in run("nm", "--defined-only", daemon).splitlines()
                   if l.strip()}

    static, nowhere, n_defined, n_allowed = [], [], 0, 0
    for _, obj, src in product:
        refs = None
        for sym, where in sorted(defined(obj).items()):
            n_defined += 1
            if any(needs[o] and sym in needs[o] for _, o, _ in product if o != obj):
                continue
            if sym in ALWAYS_ALLOWED:
                continue
            if refs is None:
                refs = own_references(obj)
            users = sorted(test_needs.get(sym, ()))
            also = " (tests and tools use it: %s)" % ", ".join(users) if users else ""
            if sym in refs or named_again(src, sym):
                if not users:
                    static.append((where_of(where, obj, top), sym,
                                   "used only in its own file: make it static"))
                continue
            if sym in shipped:
                nowhere.append((where_of(where, obj, top), sym,
                                "only tests and tools use it, yet plenaryd links it" + also))
            elif any(fnmatch.fnmatchcase(sym, p) for p in allowed):
                n_allowed += 1
            else:
                nowhere.append((where_of(where, obj, top), sym,
                                "used nowhere in the product" + also))

    for (path, line), sym, why in sorted(static) + sorted(nowhere):
        print("%s:%d: %s: %s" % (path, line, sym, why))
    total = len(static) + len(nowhere)
    if total:
        print("exports: %d of %d exported symbols unused by other product objects: "
              "%d only in their own file, %d nowhere (%d allowed by exports-allowed.txt)" % (
                  total, n_defined, len(static), len(nowhere), n_allowed))
        return 1
    print("exports: %d exported symbols: each used by another product object or its own "
          "file's tests, but %d only tests and tools use (exports-allowed.txt; none in "
          "plenaryd)" % (n_defined, n_allowed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
