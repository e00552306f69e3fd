#!/usr/bin/env python3
"""The shared library exports exactly the wph_* functions the public headers
declare with WPH_API: nothing missing, nothing extra (no std::, Boost or
OpenSSL symbol), and everything in the LIBWPHOST_0 version node.

    check_symbols.py LIBWPHOST_SO INCLUDE_DIR"""
import re
import subprocess
import sys
from pathlib import Path


def declared(include_dir: Path) -> set:
    names = set()
    for h in list(include_dir.glob("*.h")) + list(include_dir.glob("wphost/*.h")):
        text = re.sub(r"/\*.*?\*/", " ", h.read_text(), flags=re.S)
        for m in re.finditer(r"\bWPH_API\b[^;{]*?\b(wph_\w+)\s*\(", text):
            names.add(m.group(1))
    return names


def exported(lib: str) -> dict:
    out = subprocess.run(["readelf", "--dyn-syms", "--wide", lib], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(parts) < 8 or not parts[0].rstrip(":").isdigit():
            continue
        typ, bind, ndx, name = parts[3], parts[4], parts[6], parts[7]
        if ndx == "UND" or bind == "LOCAL":
            continue
        syms[name] = typ
    return syms


def main() -> int:
    lib, include_dir = sys.argv[1], Path(sys.argv[2])
    want = declared(include_dir)
    got = exported(lib)
    failures = []
    names = {n.split("@")[0]: n for n in got}
    extra = sorted(n for n in names if n not in want and n != "LIBWPHOST_0")
    missing = sorted(want - set(names))
    if extra:
        failures.append("exported but not declared in a public header: " + ", ".join(extra[:20]))
    if missing:
        failures.append("declared but not exported: " + ", ".join(missing))
    unversioned = sorted(n for n in got if n.startswith("wph_") and "@@LIBWPHOST_0" not in n)
    if unversioned:
        failures.append("exported without the LIBWPHOST_0 version: " + ", ".join(unversioned[:10]))
    non_func = sorted(n for n, t in got.items() if n.startswith("wph_") and t != "FUNC")
    if non_func:
        failures.append("exported wph_ symbols that are not functions: " + ", ".join(non_func))
    if len(want) < 30:
        failures.append(f"only {len(want)} declarations found in {include_dir}: the header scan is broken")
    for f in failures:
        print("FAIL:", f)
    print(f"symbols: {len(want)} declared, {len(names) - 1} exported")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
