"""Create a WordPress site, fetch its home page, and delete it again.

    python3 site.py STATE_DIR DOMAIN [PROFILE_JSON_FILE] [--keep]

As root, with nginx, PHP-FPM and MariaDB running (scripts/start-services, or
a host profile pointing at private instances).
"""
import json
import re
import sys
import urllib.request
from typing import Any, Dict, Optional

import wphost


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--keep"]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    state_dir, domain = args[0], args[1]
    profile: Optional[Dict[str, Any]] = None
    if len(args) > 2:
        with open(args[2]) as f:
            profile = json.load(f)
    with wphost.Engine(state_dir=state_dir, host_profile=profile) as engine:
        try:
            site = engine.sites.create({"domain": domain, "title": "Example site", "cache": "page"},
                                       progress=lambda p: print(f"  step {p.step}/{p.steps}"))
        except wphost.AlreadyExists:
            print(f"{domain} exists already")
            return 1
        print("url:", site["url"])
        print("admin:", site["admin_user"], site["admin_password"])
        port = (profile or {}).get("nginx", {}).get("http_port", 80)
        host = domain if port == 80 else f"{domain}:{port}"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host})
        with urllib.request.urlopen(req) as resp:
            m = re.search(r"<title>(.*?)</title>", resp.read().decode())
            print("home page:", resp.status, m.group(1) if m else "")
        if "--keep" not in sys.argv:
            engine.sites.delete(domain)
            print("deleted:", domain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
