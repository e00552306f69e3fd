#!/usr/bin/env python3
"""docs/c-api.md stays in sync with the headers: every exported function and
every option struct is documented there, and it names none that do not exist.

    check_docs.py INCLUDE_DIR DOCS_DIR"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "symbols"))
from check_symbols import declared  # noqa: E402


def main() -> int:
    include_dir, docs = Path(sys.argv[1]), Path(sys.argv[2])
    funcs = declared(include_dir)
    ref = (docs / "c-api.md").read_text()
    documented = set(re.findall(r"\b(wph_[a-z0-9_]+)\s*\(", ref))
    failures = []
    missing = sorted(funcs - documented)
    if missing:
        failures.append("functions missing from docs/c-api.md: " + ", ".join(missing))
    unknown = sorted(documented - funcs)
    if unknown:
        failures.append("docs/c-api.md documents functions that do not exist: " + ", ".join(unknown))
    for h in include_dir.glob("wphost/*.h"):
        for struct in re.findall(r"typedef struct (wph_\w+_options) \{", h.read_text()):
            if struct not in ref:
                failures.append(f"option struct {struct} is not documented")
    for f in failures:
        print("FAIL:", f)
    print(f"docs: {len(funcs)} functions, {len(documented & funcs)} documented")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
