#!/usr/bin/env python3
"""check: #include "..." keeps to the module boundaries, which CMake cannot see.

    scripts/check/includes.py [file...]     (default: every tracked *.c / *.h)

The build already refuses one module's file that includes another module's private header
(plenary_module in the top CMakeLists.txt: a target sees only the public headers of the
modules it links). It cannot see the rest, which this checks (STYLE.md habit 1): media's
layers are one target, a header no .c file includes is never compiled, and which module
may depend on which is a decision, not whatever the link lines happen to allow.

  * A product module is a top folder of MODULES below. A file of module M may include a
    header of another module X only if M may depend on X, and only as "X/X.h", the
    module's one public header -- except for the OPEN modules (utility libraries), any of
    whose headers may be included.
  * Inside media/, files live in the layer folders of MEDIA_LAYERS. A file in layer L may
    include a header of another layer K only if K is below L, and only as "media/K/K.h".
    Files directly in media/ sit above every layer and may include any layer's "K.h";
    a layer file may include, of the top's headers, only MEDIA_TOP_FOR_LAYERS.
  * Files under EXEMPT (the tests, and the support code only tests and tools use) may
    reach into any module's internals.
  * Everywhere, tests included: an #include "..." must name a file that exists, relative
    to the including file's folder or one of the folders above it up to the project root
    (the compiler looks in the file's folder, then the -I folders; ours are the root and,
    for tests and tools, folders such as tests/ and tests/unit/ -- all ancestors).

Prints "file:line: ..." per violation and exits 1. Python 3 standard library only.
"""
import os
import re
import subprocess
import sys

# --- the rules, as data -----------------------------------------------------------------

# module -> the modules it may include (its dependencies). A module missing here is not
# a product module; add `base` (or any new module) with its dependencies.
MODULES = {
    "gateway": {"rooms", "media", "queue", "base"},
    "rooms": {"queue", "base"},
    "media": {"base"},
    "queue": {"base"},
    "base": set(),
}
# Utility libraries: any of their headers may be included by a module that depends on them.
OPEN_MODULES = {"base"}

# media's layers, lowest first: a layer may include only the layers before it.
MEDIA_LAYERS = ["wire", "secure", "record", "mix", "net"]
# Headers directly in media/ that a layer file may include (the module's public types).
MEDIA_TOP_FOR_LAYERS = {"media/media.h"}

# Path prefixes whose files are exempt from the boundary rules (not from "file exists").
EXEMPT = ["tests/"]

# -----------------------------------------------------------------------------------------

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def top_of(path):
    return path.split("/", 1)[0] if "/" in path else ""


def media_layer(path):
    """'wire' for media/wire/x.h, '' for media/x.h, None outside media/."""
    parts = path.split("/")
    if parts[0] != "media":
        return None
    return parts[1] if len(parts) > 2 else ""


def resolve(root, src, spelled):
    """The repo-relative path an #include "spelled" in src finds, or None."""
    bases, d = [], os.path.dirname(src)
    while d:
        bases.append(d)
        d = os.path.dirname(d)
    for base in bases + [""]:
        cand = os.path.normpath(os.path.join(base, spelled))
        if not cand.startswith("..") and os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def media_rule(src, target):
    """The complaint about a media file including another media file, or None."""
    src_layer, dst_layer = media_layer(src), media_layer(target)
    for layer, path in ((src_layer, src), (dst_layer, target)):
        if layer and layer not in MEDIA_LAYERS:
            return "%s is in media/%s/, not a layer of MEDIA_LAYERS %s" % (
                path, layer, " < ".join(MEDIA_LAYERS))
    if src_layer == dst_layer:
        return None
    if src_layer == "":  # the top of media/ sits above every layer
        want = "media/%s/%s.h" % (dst_layer, dst_layer)
        if target != want:
            return "media/ may include layer %s only as \"%s\"" % (dst_layer, want)
        return None
    if dst_layer == "":
        if target in MEDIA_TOP_FOR_LAYERS:
            return None
        return "layer %s may not include %s (above the layers; allowed: %s)" % (
            src_layer, target, ", ".join(sorted(MEDIA_TOP_FOR_LAYERS)))
    if MEDIA_LAYERS.index(dst_layer) > MEDIA_LAYERS.index(src_layer):
        return "layer %s may not include layer %s (upward; order %s)" % (
            src_layer, dst_layer, " < ".join(MEDIA_LAYERS))
    want = "media/%s/%s.h" % (dst_layer, dst_layer)
    if target != want:
        return "layer %s may include layer %s only as \"%s\"" % (src_layer, dst_layer, want)
    return None


def boundary_rule(src, spelled, target):
    """The complaint about product file src including target, or None."""
    m, x = top_of(src), top_of(target)
    if x not in MODULES:
        return "%s is outside the product modules (%s)" % (target, ", ".join(sorted(MODULES)))
    if m == x:
        why = media_rule(src, target) if m == "media" else None
    elif x not in MODULES[m]:
        deps = ", ".join(sorted(MODULES[m])) or "none"
        why = "%s may not depend on %s (%s's dependencies: %s)" % (m, x, m, deps)
    elif x not in OPEN_MODULES and target != "%s/%s.h" % (x, x):
        why = "%s may include only \"%s/%s.h\" of %s, not %s" % (m, x, x, x, target)
    else:
        why = None
    # Another folder's header is named from the root (STYLE.md habit 1), so a grep for
    # "media/wire/wire.h" finds every user.
    if not why and spelled != target and os.path.dirname(target) != os.path.dirname(src):
        why = "spell it from the project root: \"%s\"" % target
    return why


def check_file(root, src):
    problems = []
    exempt = any(src.startswith(p) for p in EXEMPT)
    in_module = top_of(src) in MODULES
    try:
        with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        return ["%s:0: cannot read: %s" % (src, e.strerror)]
    for n, line in enumerate(lines, 1):
        match = INCLUDE.match(line)
        if not match:
            continue
        spelled = match.group(1)
        target = resolve(root, src, spelled)
        if target is None:
            problems.append("%s:%d: #include \"%s\": no such file in the repo" % (src, n, spelled))
            continue
        if exempt or not in_module:
            continue
        why = boundary_rule(src, spelled, target)
        if why:
            problems.append("%s:%d: #include \"%s\": %s" % (src, n, spelled, why))
    return problems


def tracked_files(root):
    out = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=root, check=True,
                         capture_output=True, text=True).stdout.split("\n")
    # A rename in progress leaves index entries with no file behind them.
    return [f for f in out if f and os.path.isfile(os.path.join(root, f))]


def main(argv):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    files = [os.path.relpath(os.path.abspath(f), root) for f in argv] or tracked_files(root)
    problems = []
    for src in files:
        problems += check_file(root, src)
    for p in problems:
        print(p)
    if problems:
        print("includes: %d bad includes in %d files" % (
            len(problems), len({p.split(":", 1)[0] for p in problems})))
        return 1
    print("includes: %d files keep to the module boundaries" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
