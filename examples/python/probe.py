"""Probe a few URLs once and print one line per probe.

    python3 probe.py STATE_DIR URL [URL...]

Exit status 1 when a probe failed. Each URL gets the conditions
"[STATUS] < 400" and "[RESPONSE_TIME] < 2000".
"""
import sys
from typing import Any, Dict, List

import wphost


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    defs: List[Dict[str, Any]] = [
        {"name": f"probe-{i}", "url": url, "conditions": ["[STATUS] < 400", "[RESPONSE_TIME] < 2000"]}
        for i, url in enumerate(sys.argv[2:])
    ]
    with wphost.Engine(state_dir=sys.argv[1]) as engine:
        try:
            results = engine.probes.run(defs)
        except wphost.InvalidInput as e:
            print(f"bad URL: {e}", file=sys.stderr)
            return 2
    for r in results:
        why = r["error"] or next((c["detail"] for c in r["conditions"] if not c["success"]), "")
        print(f"{'ok' if r['success'] else 'FAIL':4} {r['url']:40} {r['timings']['total'] * 1000:7.1f} ms {why}")
    return 0 if all(r["success"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
