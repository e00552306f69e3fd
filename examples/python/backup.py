"""Back up a directory and a streamed "database dump" into a restic-format
repository, then keep the last 3 snapshots of each.

    python3 backup.py WORKDIR SOURCE_DIR
"""
import subprocess
import sys

import wphost


def main() -> int:
    work, source = sys.argv[1], sys.argv[2]
    with wphost.Engine(state_dir=f"{work}/state") as engine:
        try:
            repo = wphost.Repository.open(engine, f"{work}/repo", password="example")
        except wphost.NotFound:
            repo = wphost.Repository.init(engine, f"{work}/repo", password="example")
        with repo:
            files = repo.backup([source], tags=["files"], progress=lambda p: None)
            print("files:", files["short_id"], files["stats"]["files_new"], "new")
            # Any producer's stdout can be streamed in, e.g. mysqldump.
            with subprocess.Popen(["printf", "CREATE TABLE wp_posts (id int);\\n"], stdout=subprocess.PIPE) as dump:
                assert dump.stdout is not None
                db = repo.backup_stream("database.sql", dump.stdout, tags=["db"])
            print("database:", db["short_id"])
            removed = repo.forget(keep_last=3, prune=True)["removed"]
            print("removed:", removed, "check ok:", repo.check()["ok"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
