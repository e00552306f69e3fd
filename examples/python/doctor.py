"""Run the host check from Python and print what is missing.

    python3 doctor.py [STATE_DIR]
"""
import sys

import wphost


def main() -> int:
    state_dir = sys.argv[1] if len(sys.argv) > 1 else None
    with wphost.Engine(state_dir=state_dir) as engine:
        report = engine.host_check()  # Ctrl-C cancels the job
    for component in ("nginx", "php_fpm", "mysql", "redis", "memcached", "restic"):
        print(f"{component:10} {report[component]['status']}")
    missing = report["summary"]["missing"]
    print("missing:", ", ".join(missing) if missing else "nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
