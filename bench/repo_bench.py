#!/usr/bin/env python3
"""Backup repository benchmark: libwphost (`wphost repo`) and restic on the
same generated corpus, same machine, same run, alternating programs.

Corpus: a WordPress-like tree (PHP/JS/CSS text files), "uploads" of random
binary data from 20 KiB to 4 MiB, and a SQL dump. Measures, per program:
initial backup, backup with no change, backup after changing 1% of the files,
restore, check with data verification: wall time, MiB/s, peak RSS, and the
repository size; the whole sequence several times in fresh repositories, the
program that goes first alternating, and reports medians and the range of the
speed-ups (these virtual machines are noisy). Prints a table; it asserts
nothing (see docs/benchmarks.md).

    python3 bench/repo_bench.py [--uploads-mib 600] [--sql-mib 50] [--rounds 3] [--workdir DIR]
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("wp post meta option user term taxonomy comment plugin theme widget nonce query cache "
         "function return array string echo esc_html apply_filters add_action get_option").split()


def make_corpus(base: Path, uploads_mib: int, sql_mib: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    site = base / "site"
    total = 0
    for i in range(1500):  # wp-admin / wp-includes / plugins: text
        d = site / ("wp-includes" if i % 3 else "wp-content/plugins/p%d" % (i % 40)) / ("d%d" % (i % 25))
        d.mkdir(parents=True, exist_ok=True)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(300, 6000))).encode()
        (d / ("f%d.php" % i)).write_bytes(text)
        total += len(text)
    up = site / "wp-content" / "uploads"
    left = uploads_mib << 20
    n = 0
    while left > 0:
        size = min(left, rng.randint(20 << 10, 4 << 20))
        d = up / ("20%02d" % (n % 20)) / ("%02d" % (n % 12 + 1))
        d.mkdir(parents=True, exist_ok=True)
        (d / ("img%05d.jpg" % n)).write_bytes(os.urandom(size))
        left -= size
        total += size
        n += 1
    with open(base / "db.sql", "wb") as f:
        written = 0
        while written < sql_mib << 20:
            row = ("INSERT INTO wp_posts VALUES (%d,'%s');\n" % (written, " ".join(rng.choice(WORDS) for _ in range(40)))).encode()
            f.write(row)
            written += len(row)
    return total


def change_one_percent(site: Path, seed: int) -> None:
    rng = random.Random(seed)
    files = sorted(p for p in site.rglob("*") if p.is_file())
    for p in rng.sample(files, max(1, len(files) // 100)):
        with open(p, "r+b") as f:
            f.seek(0)
            f.write(os.urandom(64))


def run(argv, env) -> tuple:
    """Wall seconds and peak RSS (MiB) of one command."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed: {err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uploads-mib", type=int, default=600)
    ap.add_argument("--sql-mib", type=int, default=50)
    ap.add_argument("--workdir")
    ap.add_argument("--rounds", type=int, default=3, help="repeat everything in fresh repositories (default 3)")
    ap.add_argument("--wphost", default=str(ROOT / "build" / "bin" / "wphost"))
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="wph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"generating corpus in {work} ...", flush=True)
    corpus = work / "corpus"
    total = make_corpus(corpus, args.uploads_mib, args.sql_mib)
    total += (corpus / "db.sql").stat().st_size
    mib = total / (1 << 20)
    env = dict(os.environ, RESTIC_PASSWORD="bench", RESTIC_CACHE_DIR=str(work / "restic-cache"))
    tools = {
        "restic": lambda repo: ["restic", "-r", str(repo)],
        "wphost": lambda repo: [args.wphost, "--state-dir", str(work / "state"), "repo", "-r", str(repo)],
    }
    targets = [str(corpus / "site"), str(corpus / "db.sql")]
    # results[label][name] = [(wall, rss), ...], one per round
    results: dict = {}
    sizes = {name: [] for name in tools}

    def one_round(r: int) -> None:
        # Each round in fresh repositories and restore targets; the program
        # that goes first alternates. Nothing is deleted until the end: ext4
        # makes creating files slow for a while after many were deleted.
        order = list(tools) if r % 2 == 0 else list(reversed(list(tools)))
        repos = {name: work / f"repo-{name}-{r}" for name in tools}

        def step(label, per_tool):
            for name in order:  # the same step for both programs, back to back
                # Flush what the previous command left dirty in the page cache, so
                # its write-back does not run during (and slow down) this one.
                os.sync()
                results.setdefault(label, {n: [] for n in tools})[name].append(run(per_tool(name), env))

        for name in tools:
            subprocess.run(tools[name](repos[name]) + ["init"], env=env, check=True, capture_output=True)
        step("initial backup", lambda n: tools[n](repos[n]) + ["backup"] + targets)
        step("no-change backup", lambda n: tools[n](repos[n]) + ["backup"] + targets)
        change_one_percent(corpus / "site", seed=11 + r)
        step("1% changed backup", lambda n: tools[n](repos[n]) + ["backup"] + targets)
        step("restore", lambda n: tools[n](repos[n]) + ["restore", "latest", "--target", str(work / f"restore-{n}-{r}")])
        step("check --read-data", lambda n: tools[n](repos[n]) + ["check", "--read-data"])
        for name in tools:
            sizes[name].append(du(repos[name]))

    for r in range(args.rounds):
        print(f"round {r + 1} of {args.rounds} ...", flush=True)
        one_round(r)

    med = statistics.median
    print(f"\ncorpus: {mib:.0f} MiB ({args.uploads_mib} MiB uploads, {args.sql_mib} MiB SQL, 1500 text files); "
          f"{os.cpu_count()} CPUs; {args.rounds} rounds, medians (speed-up: median of the rounds' ratios, and their range)")
    print(f"{'step':<20} {'restic s':>9} {'MiB/s':>8} {'RSS MiB':>8} | {'wphost s':>9} {'MiB/s':>8} {'RSS MiB':>8} | "
          f"{'speed-up':>8} {'range':>13}")
    for label, per in results.items():
        rw, ww = med(x[0] for x in per["restic"]), med(x[0] for x in per["wphost"])
        rr, wr = max(x[1] for x in per["restic"]), max(x[1] for x in per["wphost"])
        ratios = [a[0] / b[0] for a, b in zip(per["restic"], per["wphost"])]
        print(f"{label:<20} {rw:9.2f} {mib / rw:8.0f} {rr:8.0f} | {ww:9.2f} {mib / ww:8.0f} {wr:8.0f} | "
              f"{med(ratios):7.2f}x {min(ratios):5.2f}–{max(ratios):.2f}x")
    print("(RSS: the highest of the rounds)")
    for name in tools:
        print(f"repository size {name}: " + ", ".join(f"{b / (1 << 20):.1f}" for b in sizes[name]) + " MiB")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
