"""Make sure a DNS record holds a value, through any DNS provider config
(Cloudflare today): update it when it exists, create it otherwise.

    python3 dns_record.py STATE_DIR CONFIG.json ZONE TYPE NAME CONTENT

CONFIG.json is the provider configuration of docs/provider.md, e.g.
{"kind": "cloudflare", "token_file": "/etc/wphost/cloudflare.token"}.
Prints "created" or "updated" and the record's id.
"""
import json
import sys

import wphost


def main() -> int:
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 2
    state_dir, config_path, zone, rtype, name, content = sys.argv[1:]
    with open(config_path) as f:
        config = json.load(f)
    with wphost.Engine(state_dir=state_dir) as engine, wphost.Provider(engine, config) as dns:
        try:
            zone_id = dns.call("zone.find", {"name": zone})["result"]["id"]
            existing = dns.call("record.list", {"zone_id": zone_id, "type": rtype, "name": name})["result"]
            if existing:
                rec = dns.call("record.update", {"zone_id": zone_id, "id": existing[0]["id"], "content": content})["result"]
                print("updated", rec["id"])
            else:
                rec = dns.call("record.create", {"zone_id": zone_id, "type": rtype, "name": name, "content": content,
                                                 "ttl": 300})["result"]
                print("created", rec["id"])
        except wphost.Error as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
