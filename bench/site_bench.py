#!/usr/bin/env python3
"""Site provisioning benchmark: libwphost's engine.sites on a private nginx +
PHP-FPM + MariaDB + Redis stack (tests/integration/lemp.py), WordPress from
Debian's `wordpress` package.

Measures:
  1. create call -> first HTTP 200 of the home page (polled as fast as possible
     once create returns): the first site (cold: the shared WordPress core
     store is built then) and the median over the other sites, with the
     median of each step of the result's "timings";
  2. N sites created one after another: per-site median and p90, then the idle
     memory (sum of PSS from /proc/<pid>/smaps_rollup) of nginx, PHP-FPM and
     MariaDB, masters and all their children, against the same figure with no
     site, per site;
  3. delete: median over the N sites;
  4. home page requests per second and p99 latency with wrk: a page-cached
     site (X-Cache: HIT checked first), and an uncached site against a
     hand-written PHP-FPM pool (pm = static, 4 children) + nginx server block
     serving the same files and database, alternating twice.
Also, to explain the figures: MariaDB's statement and fsync counters per
create, what `nginx -t`, `php-fpm -t` and the two reloads cost with 0 and N
sites, OPcache's use, the next request of a site after a PHP-FPM reload, and
how much CPU other processes on the machine used meanwhile (noise).

It prints figures and asserts nothing (see docs/benchmarks.md). Runs as root
(sites are Linux users). Everything it makes is removed at the end, also on
Ctrl-C or SIGTERM.

    /usr/bin/python3 bench/site_bench.py [--sites 50] [--wrk-seconds 10] [--quick]
"""
from __future__ import annotations

import argparse
import grp
import http.client
import json
import math
import os
import platform
import pwd
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "/usr/share/wordpress"
PASSWORD = "bench-password-not-secret"
FPM = "/usr/sbin/php-fpm8.2"
NGINX = "/usr/sbin/nginx"
STACK = ("nginx", "php8.2-fpm", "mariadb")  # the daemons whose memory is counted
HAND_POOL = "zz-sitebench-hand"  # names of the hand-built pool and server block

# Targets on 2 cores (docs/benchmarks.md); printed beside the figures only.
TARGET_CREATE_S = 1.5
TARGET_DELETE_S = 1.0
TARGET_IDLE_MIB = 2.0
TARGET_CACHED_RPS = 25000.0
TARGET_CACHED_P99_MS = 10.0


# --------------------------------------------------------------------------- small helpers

def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p90(xs: Sequence[float]) -> float:
    """Nearest-rank 90th percentile."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def mib(kib: float) -> float:
    return kib / 1024.0


def http_get(port: int, host: str, path: str = "/", timeout: float = 30.0) -> Tuple[int, Dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


def first_200(port: int, host: str, limit: float = 120.0) -> Tuple[float, List[int], bytes]:
    """Request the home page back to back until it answers 200; seconds taken,
    the statuses seen before, and the page."""
    t0 = time.monotonic()
    seen: List[int] = []
    while True:
        try:
            status, _, body = http_get(port, host)
        except (OSError, http.client.HTTPException):
            status, body = -1, b""
        if status == 200:
            return time.monotonic() - t0, seen, body
        seen.append(status)
        if time.monotonic() - t0 > limit:
            raise RuntimeError(f"{host}: no 200 within {limit}s (statuses {sorted(set(seen))})")


def title_of(body: bytes) -> str:
    m = re.search(rb"<title>(.*?)</title>", body, re.S)
    return m.group(1).decode("utf-8", "replace").strip() if m else ""


# --------------------------------------------------------------------------- memory

def process_table() -> Dict[int, Tuple[int, str]]:
    """pid -> (ppid, command line) for every process."""
    out: Dict[int, Tuple[int, str]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            st = (d / "stat").read_text()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            out[int(d.name)] = (ppid, cmd)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
    return out


def tree(root: int, table: Dict[int, Tuple[int, str]]) -> List[int]:
    pids, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in table:
            pids.append(p)
            todo.extend(c for c, (pp, _) in table.items() if pp == p)
    return pids


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def stack_memory(lemp: Any) -> Dict[str, Any]:
    """PSS (KiB) of each daemon and all its descendants, with the process list."""
    table = process_table()
    res: Dict[str, Any] = {"total": 0, "procs": {}}
    for name in STACK:
        procs = [(p, table[p][1], pss_kib(p)) for p in tree(lemp._daemons[name].pid, table)]
        res[name] = sum(k for _, _, k in procs)
        res["procs"][name] = procs
        res["total"] += res[name]
    return res


# --------------------------------------------------------------------------- CPU used by others

def cpu_snapshot() -> Tuple[float, float, float]:
    """(wall, busy CPU seconds of the whole machine, CPU seconds of this process
    tree: the benchmark, the stack's daemons and the children they reaped)."""
    hz = os.sysconf("SC_CLK_TCK")
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)  # user nice system irq softirq steal
    ours = 0
    for pid in tree(os.getpid(), process_table()):
        try:
            st = Path(f"/proc/{pid}/stat").read_text()
            fields = st[st.rindex(")") + 2:].split()
            ours += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
    return time.monotonic(), busy / hz, ours / hz


def others_cores(since: Tuple[float, float, float]) -> float:
    """Average number of cores that processes outside this benchmark kept busy since `since`."""
    now = cpu_snapshot()
    return max(0.0, (now[1] - since[1]) - (now[2] - since[2])) / max(1e-9, now[0] - since[0])


def fpm_children(lemp: Any) -> int:
    return len(tree(lemp._daemons["php8.2-fpm"].pid, process_table())) - 1


def idle_memory(lemp: Any, last_request: float, settle: float) -> Dict[str, Any]:
    """Wait until `settle` seconds after the last request and until PHP-FPM's
    ondemand workers have exited (they idle out after 10 s), then measure."""
    wait = last_request + settle - time.monotonic()
    if wait > 0:
        print(f"  waiting {wait:.0f} s for idle workers to exit ...", flush=True)
        time.sleep(wait)
    end = time.monotonic() + 30
    while fpm_children(lemp) > 0 and time.monotonic() < end:
        time.sleep(0.5)
    m = stack_memory(lemp)
    m["fpm_children_left"] = fpm_children(lemp)
    return m


MARIADB_COUNTERS = ("Questions", "Com_create_table", "Com_insert", "Com_update", "Com_select", "Innodb_data_fsyncs",
                    "Innodb_os_log_fsyncs", "Innodb_data_written")


def mariadb_counters(lemp: Any) -> Dict[str, int]:
    names = ", ".join(f"'{n}'" for n in MARIADB_COUNTERS)
    return {r[0]: int(r[1]) for r in lemp.mysql(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")
            if r[0] and r[1] is not None}


# --------------------------------------------------------------------------- wrk

def run_wrk(port: int, host: str, seconds: int, threads: int = 2, conns: int = 16) -> Dict[str, Any]:
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-H", f"Host: {host}",
            f"http://127.0.0.1:{port}/"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    out = r.stdout
    if r.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed ({r.returncode}): {out}\n{r.stderr}")
    res: Dict[str, Any] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", out, re.M)
    res["p99_ms"] = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)] if m else float("nan")
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    res["command"] = " ".join(shlex.quote(a) for a in argv)
    return res


def wrk_line(label: str, w: Dict[str, Any]) -> str:
    extra = ""
    if w["non2xx"] or w["socket_errors"]:
        extra = f"  (non-2xx {w['non2xx']}, socket errors {w['socket_errors']})"
    return f"  {label:<34} {w['rps']:>10.1f} req/s   p99 {w['p99_ms']:>8.2f} ms   {w['requests']} requests{extra}"


# --------------------------------------------------------------------------- reload costs

def timed(f: Any) -> float:
    t = time.monotonic()
    f()
    return time.monotonic() - t


def reload_costs(lemp: Any, repeat: int = 3) -> Dict[str, float]:
    """What the library's php_pool and nginx steps run each time: the config
    tests, and a reload waited for (as lemp.py waits for it)."""
    def check(argv: List[str]) -> None:
        subprocess.run(argv, check=True, capture_output=True)
    runs: Dict[str, List[float]] = {"nginx -t": [], "php-fpm -t": [], "nginx reload": [], "php-fpm reload": []}
    for _ in range(repeat):
        runs["nginx -t"].append(timed(lambda: check([NGINX, "-t", "-q", "-c", str(lemp.nginx_conf)])))
        runs["php-fpm -t"].append(timed(lambda: check([FPM, "-t", "-y", str(lemp.fpm_conf())])))
        runs["nginx reload"].append(timed(lemp.reload_nginx))
        runs["php-fpm reload"].append(timed(lemp.reload_fpm))
    return {k: median(v) for k, v in runs.items()}


# --------------------------------------------------------------------------- the hand-built pool

def hand_files(lemp: Any) -> Tuple[Path, Path, Path]:
    return (lemp.fpm_pool_dir() / f"{HAND_POOL}.conf", lemp.nginx_dir / "conf.d" / f"{HAND_POOL}.conf",
            lemp.php_run / f"{HAND_POOL}.sock")


def write_hand_pool(lemp: Any, names: Dict[str, str], site_host: str, hand_domain: str) -> None:
    """A plain PHP-FPM pool and nginx server block written by hand for the site's
    files and database: no library, pm = static with 4 children."""
    pool, server, sock = hand_files(lemp)
    pool.write_text(f"""\
; Hand-written pool for bench/site_bench.py (removed at the end).
[{HAND_POOL}]
user = {names['user']}
group = {names['group']}
listen = {sock}
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = static
pm.max_children = 4
""")
    # Same root, index and front controller as the site's own block; WordPress
    # sees the site's own host, so it renders the very same page.
    server.write_text(f"""\
# Hand-written server block for bench/site_bench.py (removed at the end).
server {{
    listen {lemp.http_port};
    server_name {hand_domain};
    root {names['docroot']};
    index index.php index.html;
    location / {{ try_files $uri $uri/ /index.php?$args; }}
    location ~ \\.php$ {{
        try_files $uri =404;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_param HTTP_HOST {site_host};
        fastcgi_pass unix:{sock};
    }}
}}
""")
    os.chmod(pool, 0o644)
    os.chmod(server, 0o644)
    lemp.reload_fpm()
    lemp.reload_nginx()


def remove_hand_pool(lemp: Any) -> None:
    pool, server, _ = hand_files(lemp)
    had = pool.exists() or server.exists()
    for f in (pool, server):
        f.unlink(missing_ok=True)
    if had:
        lemp.reload_fpm()
        lemp.reload_nginx()


# --------------------------------------------------------------------------- machine

def machine(build: Path) -> Dict[str, str]:
    def first(argv: List[str]) -> str:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"
    mem = next((ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal:")), "0")
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), "?")
    wp = re.search(r"\$wp_version\s*=\s*'([^']+)'", Path(SOURCE, "wp-includes/version.php").read_text())
    build_type = "?"
    cache = build / "CMakeCache.txt"
    if cache.exists():
        m = re.search(r"^CMAKE_BUILD_TYPE:STRING=(.*)$", cache.read_text(), re.M)
        build_type = m.group(1) if m else "?"
    src = build.parent
    m = re.search(r"^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$", cache.read_text(), re.M) if cache.exists() else None
    if m:
        src = Path(m.group(1))
    head = first(["git", "-C", str(src), "log", "-1", "--format=%h %s"])
    dirty = first(["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"]) not in ("", "?")
    deb = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    return {
        "cpus": f"{len(os.sched_getaffinity(0))} (nproc), {cpu}",
        "memory": f"{int(mem) / 1024 / 1024:.1f} GiB",
        "os": f"Debian {deb}, Linux {platform.release()}",
        "nginx": first([NGINX, "-v"]),
        "php": first([FPM, "-v"]),
        "mariadb": first(["/usr/sbin/mariadbd", "--version"]),
        "wordpress": wp.group(1) if wp else "?",
        "wrk": first(["wrk", "--version"]),
        "build": f"{build} ({build_type}) from {src}" + (f" at {head[:60]}" + (" + local changes" if dirty else "")
                                                           if not head.startswith(("fatal", "?")) else ""),
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


# --------------------------------------------------------------------------- the benchmark

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=None, help="sites created one after another (default 50; 4 with --quick)")
    ap.add_argument("--wrk-seconds", type=int, default=None, help="length of each wrk run (default 10; 3 with --quick)")
    ap.add_argument("--quick", action="store_true", help="a short run to check that everything works")
    ap.add_argument("--idle-seconds", type=float, default=12.0,
                    help="wait this long after the last request before measuring idle memory (default 12)")
    ap.add_argument("--build", default=str(ROOT / "build"), help="the build directory (its python/ holds wphost)")
    ap.add_argument("--json", metavar="FILE", help="also write the raw figures there")
    args = ap.parse_args()
    n_sites = args.sites if args.sites is not None else (4 if args.quick else 50)
    wrk_s = args.wrk_seconds if args.wrk_seconds is not None else (3 if args.quick else 10)
    if n_sites < 2:
        ap.error("--sites must be at least 2 (the first site is the cold one)")
    if os.geteuid() != 0:
        ap.error("run as root: sites are Linux users")
    if not Path(SOURCE, "wp-includes/version.php").exists():
        ap.error(f"{SOURCE} is missing (Debian's wordpress package)")
    if shutil.which("wrk") is None:
        ap.error("wrk is not installed (apt-get install wrk)")

    sys.path.insert(0, str(Path(args.build) / "python"))
    sys.path.insert(0, str(ROOT / "tests/integration"))
    import wphost  # noqa: E402
    from lemp import Lemp  # noqa: E402

    cmdline = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])
    mach = machine(Path(args.build).resolve())
    print(f"command: {cmdline}")
    print(f"date:    {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    for k, v in mach.items():
        print(f"{k + ':':<10}{v}")
    print(f"libwphost {wphost.__version__}; {n_sites} sites; wrk runs of {wrk_s} s", flush=True)

    # SIGTERM unwinds like Ctrl-C, so that the finally below cleans up.
    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored

    base = Path(tempfile.mkdtemp(prefix="sbench-", dir="/tmp"))
    os.chmod(base, 0o755)
    lemp: Any = None
    engine: Any = None
    R: Dict[str, Any] = {"command": cmdline, "machine": mach, "sites": n_sites, "wrk_seconds": wrk_s,
                         "version": wphost.__version__, "date": time.strftime("%Y-%m-%d")}
    try:
        lemp = Lemp(base, listen_address="").start()
        port = lemp.http_port
        print(f"stack up in {lemp.startup_seconds:.1f} s under {base} (http {port})", flush=True)
        engine = wphost.Engine(state_dir=str(base / "state"), host_profile=lemp.profile)

        def spec(domain: str, cache: str) -> Dict[str, Any]:
            return {"domain": domain, "source": SOURCE, "title": f"Bench {domain}", "admin_password": PASSWORD,
                    "cache": cache}

        def host_of(domain: str) -> str:
            return f"{domain}:{port}"

        # ---- baseline: reload costs and idle memory with no site
        R["reload_0"] = reload_costs(lemp)
        mem0 = idle_memory(lemp, time.monotonic(), 3.0)
        R["memory_0"] = {k: mem0[k] for k in (*STACK, "total")}
        print(f"idle memory, 0 sites: {mib(mem0['total']):.1f} MiB "
              f"({', '.join(f'{k} {mib(mem0[k]):.1f}' for k in STACK)})", flush=True)

        # ---- 1 + 2: N sites, one after another, each polled to its first 200
        domains = [f"sb{i:03d}.test" for i in range(n_sites)]
        rows: List[Dict[str, Any]] = []
        print(f"\ncreating {n_sites} sites (cache \"page\"), each followed by its first 200:", flush=True)
        last_request = time.monotonic()
        db_before = mariadb_counters(lemp)
        cpu0 = cpu_snapshot()
        for i, d in enumerate(domains):
            t0 = time.monotonic()
            res = engine.sites.create(spec(d, "page"))
            t1 = time.monotonic()
            hit, seen, body = first_200(port, host_of(d))
            last_request = time.monotonic()
            if f"Bench {d}" not in title_of(body):
                raise RuntimeError(f"{d}: unexpected home page (title {title_of(body)!r})")
            row = {"domain": d, "create": t1 - t0, "engine_seconds": res["seconds"], "timings": res["timings"],
                   "first_200": hit, "before_200": seen}
            rows.append(row)
            steps = res["timings"]
            top = sorted(steps.items(), key=lambda kv: -float(kv[1]))[:4]
            print(f"  {i + 1:>3}/{n_sites} {d:<12} create {row['create']:.3f} s + first 200 {hit:.3f} s = "
                  f"{row['create'] + hit:.3f} s   [{', '.join(f'{k} {v:.3f}' for k, v in top)}]"
                  f"{'  before 200: ' + str(seen) if seen else ''}", flush=True)
        R["create_rows"] = rows
        R["others_cores"] = {"create": others_cores(cpu0)}
        db_after = mariadb_counters(lemp)
        R["mariadb_per_site"] = {k: (db_after.get(k, 0) - db_before.get(k, 0)) / n_sites for k in MARIADB_COUNTERS}

        # ---- idle memory with N sites
        memN = idle_memory(lemp, last_request, args.idle_seconds)
        R["memory_n"] = {k: memN[k] for k in (*STACK, "total")}
        R["memory_n_procs"] = {k: [(c, kib) for _, c, kib in memN["procs"][k]] for k in STACK}
        R["fpm_children_left"] = memN["fpm_children_left"]

        # How much of PHP-FPM's figure is OPcache (shared memory, reset by every
        # FPM reload): ask it from the last site, which served its home page once.
        probe = Path(engine.sites.get(domains[-1])["names"]["docroot"]) / "sitebench-opcache.php"
        probe.write_text("<?php\n$s = opcache_get_status(false);\nheader('Content-Type: application/json');\n"
                         "echo json_encode($s === false ? ['enabled' => false] : ['enabled' => true, "
                         "'used' => $s['memory_usage']['used_memory'], 'scripts' => $s['opcache_statistics']"
                         "['num_cached_scripts']]);\n")
        os.chmod(probe, 0o644)
        try:
            st, _, body = http_get(port, host_of(domains[-1]), "/sitebench-opcache.php")
            R["opcache"] = json.loads(body) if st == 200 else {"status": st}
        finally:
            probe.unlink(missing_ok=True)

        # ---- reload costs with N sites (what php_pool and nginx pay each time)
        R["reload_n"] = reload_costs(lemp)

        # ---- 4a: cached home page
        cached = domains[0]
        http_get(port, host_of(cached))
        st, hdrs, _ = http_get(port, host_of(cached))
        R["cached_x_cache"] = hdrs.get("x-cache")
        if st != 200 or hdrs.get("x-cache") != "HIT":
            raise RuntimeError(f"{cached}: the warm-up request was not a cache HIT (status {st}, X-Cache {hdrs.get('x-cache')})")
        print(f"\nwrk, cached home page of {cached} (X-Cache: HIT checked):", flush=True)
        cpu0 = cpu_snapshot()
        R["wrk_cached"] = run_wrk(port, host_of(cached), wrk_s)
        R["others_cores"]["wrk cached"] = others_cores(cpu0)
        print(wrk_line("library, cache \"page\"", R["wrk_cached"]), flush=True)

        # ---- 4b: uncached home page, library pool vs hand-built pool
        nc = "sbnc.test"
        t0 = time.monotonic()
        engine.sites.create(spec(nc, "none"))
        first_200(port, host_of(nc))
        R["uncached_create_to_200"] = time.monotonic() - t0
        # The same site without open_basedir: what that confinement costs.
        nob = "sbnob.test"
        nob_spec = spec(nob, "none")
        nob_spec["open_basedir"] = False
        engine.sites.create(nob_spec)
        first_200(port, host_of(nob))
        names = engine.sites.get(nc)["names"]
        hand = "sbhand.test"
        write_hand_pool(lemp, names, host_of(nc), hand)
        _, _, lib_body = first_200(port, host_of(nc))
        _, _, hand_body = first_200(port, host_of(hand))
        if title_of(lib_body) != title_of(hand_body):
            raise RuntimeError(f"the hand-built block serves another page: {title_of(hand_body)!r} vs {title_of(lib_body)!r}")
        # What a PHP-FPM reload (which every create and delete does) costs the
        # other sites: the next request of an already-served site.
        warm = [timed(lambda: http_get(port, host_of(nc))) for _ in range(5)]
        lemp.reload_fpm()
        after_reload = timed(lambda: http_get(port, host_of(nc)))
        R["uncached_warm_request_s"] = median(warm)
        R["uncached_request_after_fpm_reload_s"] = after_reload
        print(f"\nuncached home of {nc}: warm request {median(warm) * 1000:.0f} ms; first request after a PHP-FPM "
              f"reload {after_reload * 1000:.0f} ms", flush=True)
        print("wrk, uncached home page, library pool (ondemand, max 5) vs hand-built pool (static 4), alternating:",
              flush=True)
        for host in (nc, nob, hand):  # spawns the library's ondemand workers
            run_wrk(port, host_of(host), 2)
        R["wrk_uncached"] = {"library": [], "library_no_basedir": [], "hand": []}
        cpu0 = cpu_snapshot()
        for rnd in range(2):
            for key, host, label in (("library", nc, "library pool"),
                                     ("library_no_basedir", nob, "library pool, open_basedir off"),
                                     ("hand", hand, "hand-built pool")):
                w = run_wrk(port, host_of(host), wrk_s)
                R["wrk_uncached"][key].append(w)
                print(wrk_line(f"{label} (run {rnd + 1})", w), flush=True)
        R["others_cores"]["wrk uncached"] = others_cores(cpu0)
        remove_hand_pool(lemp)

        # ---- 3: delete
        print(f"\ndeleting the {n_sites} sites:", flush=True)
        deletes: List[Tuple[float, float]] = []
        cpu0 = cpu_snapshot()
        for d in domains:
            t0 = time.monotonic()
            res = engine.sites.delete(d)
            deletes.append((time.monotonic() - t0, res["seconds"]))
            if res.get("warnings"):
                print(f"  {d}: warnings {res['warnings']}")
        R["deletes"] = deletes
        R["others_cores"]["delete"] = others_cores(cpu0)
        print(f"  median {median([a for a, _ in deletes]):.3f} s, p90 {p90([a for a, _ in deletes]):.3f} s "
              f"(first {deletes[0][0]:.3f} s, last {deletes[-1][0]:.3f} s)", flush=True)
        engine.sites.delete(nc)
        after = idle_memory(lemp, time.monotonic(), 2.0)
        R["memory_after_delete"] = {k: after[k] for k in (*STACK, "total")}

        report(R)
        if args.json:
            Path(args.json).write_text(json.dumps(R, indent=1) + "\n")
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup(lemp, engine, base)


def cleanup(lemp: Any, engine: Any, base: Path) -> None:
    problems = []
    if lemp is not None and lemp.running().get("php8.2-fpm"):
        try:
            remove_hand_pool(lemp)  # its workers run as a site's user: before userdel
        except Exception as e:  # noqa: BLE001 - keep cleaning
            problems.append(f"hand-built pool: {e}")
    if engine is not None:
        try:
            left = [s["domain"] for s in engine.sites.list()]
        except Exception as e:  # noqa: BLE001
            left = []
            problems.append(f"listing sites: {e}")
        if left:
            print(f"cleaning up: deleting {len(left)} site(s) ...", file=sys.stderr, flush=True)
        for d in left:
            try:
                engine.sites.delete(d)
            except Exception as e:  # noqa: BLE001
                problems.append(f"delete {d}: {e}")
        try:
            engine.close()
        except Exception as e:  # noqa: BLE001
            problems.append(f"engine.close: {e}")
    # A create interrupted by Ctrl-C or SIGTERM is cancelled, and its undo can
    # leave the site's Linux user and group behind: remove those of this run
    # (their home is under its private base).
    for u in pwd.getpwall():
        if u.pw_dir.startswith(str(base) + "/"):
            group = grp.getgrgid(u.pw_gid).gr_name if u.pw_gid in {g.gr_gid for g in grp.getgrall()} else None
            r = subprocess.run(["/usr/sbin/userdel", u.pw_name], capture_output=True, text=True)
            if r.returncode != 0:
                problems.append(f"userdel {u.pw_name}: {r.stderr.strip()}")
            elif group == u.pw_name and group in {g.gr_name for g in grp.getgrall()}:
                subprocess.run(["/usr/sbin/groupdel", group], capture_output=True)
            print(f"cleanup: removed the leftover user {u.pw_name} of an interrupted create", file=sys.stderr)
    if lemp is not None:
        lemp.stop()
    subprocess.run(["rm", "-rf", str(base)])
    for p in problems:
        print(f"cleanup problem: {p}", file=sys.stderr)


# --------------------------------------------------------------------------- the report

def report(R: Dict[str, Any]) -> None:
    rows = R["create_rows"]
    n = len(rows)
    cold, warm = rows[0], rows[1:]
    total = [r["create"] + r["first_200"] for r in warm]
    creates = [r["create"] for r in rows]
    print("\n" + "=" * 78)
    print(f"Site provisioning, libwphost {R['version']}, {n} sites; {R['machine']['cpus']}, {R['machine']['memory']}")
    print(f"command: {R['command']}")

    print("\n1. create -> first 200 of the home page (s)")
    print(f"  {'':<28}{'create':>9}{'first 200':>11}{'sum':>9}")
    print(f"  {'first site (cold core store)':<28}{cold['create']:>9.3f}{cold['first_200']:>11.3f}"
          f"{cold['create'] + cold['first_200']:>9.3f}")
    print(f"  {'median of the other ' + str(len(warm)):<28}{median([r['create'] for r in warm]):>9.3f}"
          f"{median([r['first_200'] for r in warm]):>11.3f}{median(total):>9.3f}")
    print(f"  {'p90 of the other ' + str(len(warm)):<28}{p90([r['create'] for r in warm]):>9.3f}"
          f"{p90([r['first_200'] for r in warm]):>11.3f}{p90(total):>9.3f}")
    non200 = sum(len(r["before_200"]) for r in rows)
    print(f"  answers other than 200 before the first 200: {non200} in all")
    print("\n  step timings (s)          cold     median   first10  last10   (median over the other sites)")
    steps = list(cold["timings"].keys())
    for s in steps:
        vals = [r["timings"].get(s, float("nan")) for r in warm]
        print(f"  {s:<22}{cold['timings'][s]:>9.3f}{median(vals):>11.3f}{median(vals[:10]):>10.3f}{median(vals[-10:]):>8.3f}")
    outside = [r["create"] - sum(r["timings"].values()) for r in warm]
    print(f"  {'(outside the steps)':<22}{cold['create'] - sum(cold['timings'].values()):>9.3f}{median(outside):>11.3f}"
          f"{median(outside[:10]):>10.3f}{median(outside[-10:]):>8.3f}")

    db = R["mariadb_per_site"]
    print("  MariaDB per create + first 200 (global status deltas / sites): " +
          ", ".join(f"{k} {v:.0f}" for k, v in db.items() if k != "Innodb_data_written") +
          f", Innodb_data_written {db['Innodb_data_written'] / 1048576:.1f} MiB")

    print(f"\n2. {n} sites one after another: create median {median(creates):.3f} s, p90 {p90(creates):.3f} s "
          f"(with first 200: median {median([r['create'] + r['first_200'] for r in rows]):.3f} s, "
          f"p90 {p90([r['create'] + r['first_200'] for r in rows]):.3f} s)")
    m0, mn = R["memory_0"], R["memory_n"]
    print(f"  idle memory, PSS MiB   {'0 sites':>9}{str(n) + ' sites':>10}{'delta':>9}{'per site':>10}")
    for k in (*STACK, "total"):
        print(f"  {k:<22}{mib(m0[k]):>9.1f}{mib(mn[k]):>10.1f}{mib(mn[k] - m0[k]):>9.1f}{mib(mn[k] - m0[k]) / n:>10.2f}")
    if R.get("fpm_children_left"):
        print(f"  (PHP-FPM still had {R['fpm_children_left']} worker(s) when measured)")
    oc = R.get("opcache", {})
    if oc.get("enabled"):
        print(f"  OPcache after one site's home page: {oc['used'] / 1048576:.1f} MiB used, {oc['scripts']} scripts "
              f"(in PHP-FPM's figure; emptied by every PHP-FPM reload)")
    print(f"  processes with {n} sites (PSS MiB):")
    for k in STACK:
        for cmd, kib in R["memory_n_procs"][k]:
            print(f"    {mib(kib):>7.1f}  {cmd[:90]}")
    ma = R["memory_after_delete"]
    print(f"  after deleting every site: {mib(ma['total']):.1f} MiB "
          f"({', '.join(f'{k} {mib(ma[k]):.1f}' for k in STACK)})")

    print("\n  reload costs (median of 3, s)   0 sites  " + f"{n} sites")
    for k in R["reload_0"]:
        print(f"  {k:<32}{R['reload_0'][k]:>8.3f}{R['reload_n'][k]:>9.3f}")

    dels = [a for a, _ in R["deletes"]]
    print(f"\n3. delete: median {median(dels):.3f} s, p90 {p90(dels):.3f} s (engine's own \"seconds\": median "
          f"{median([b for _, b in R['deletes']]):.3f} s)")

    wc = R["wrk_cached"]
    lib = R["wrk_uncached"]["library"]
    hand = R["wrk_uncached"]["hand"]
    print(f"\n4. home page with wrk -t2 -c16 -d{R['wrk_seconds']}s --timeout 10s --latency")
    print(wrk_line("cached (X-Cache: HIT)", wc))
    nob = R["wrk_uncached"].get("library_no_basedir", [])
    for i, (a, b) in enumerate(zip(lib, hand)):
        print(wrk_line(f"uncached, library pool, run {i + 1}", a))
        if i < len(nob):
            print(wrk_line(f"uncached, library, no open_basedir, run {i + 1}", nob[i]))
        print(wrk_line(f"uncached, hand-built pool, run {i + 1}", b))
    lib_rps = statistics.mean(w["rps"] for w in lib)
    hand_rps = statistics.mean(w["rps"] for w in hand)
    nob_rps = statistics.mean(w["rps"] for w in nob) if nob else 0.0
    print(f"  uncached mean: library {lib_rps:.1f} req/s, library without open_basedir {nob_rps:.1f} req/s, "
          f"hand-built {hand_rps:.1f} req/s (library/hand = {lib_rps / hand_rps:.2f}, without open_basedir "
          f"{nob_rps / hand_rps:.2f})")
    print(f"  a PHP-FPM reload (every create/delete does one): next request of another site "
          f"{R['uncached_request_after_fpm_reload_s'] * 1000:.0f} ms vs {R['uncached_warm_request_s'] * 1000:.0f} ms warm")

    def ok(b: bool) -> str:
        return "met" if b else "NOT met"
    per_site = mib(mn["total"] - m0["total"]) / n
    create_med = median(total)
    print("\nSummary against the targets (2 cores)")
    print(f"  {'measure':<44}{'measured':>14}  {'target':<18}")
    table = [
        ("create -> first 200, median", f"{create_med:.2f} s", f"<= {TARGET_CREATE_S} s", create_med <= TARGET_CREATE_S),
        ("create -> first 200, first site (cold)", f"{cold['create'] + cold['first_200']:.2f} s", "", None),
        (f"create, {n} in a row: median / p90", f"{median(creates):.2f} / {p90(creates):.2f} s", "", None),
        ("delete, median", f"{median(dels):.2f} s", f"<= {TARGET_DELETE_S} s", median(dels) <= TARGET_DELETE_S),
        ("idle memory per site", f"{per_site:.2f} MiB", f"<= {TARGET_IDLE_MIB} MiB", per_site <= TARGET_IDLE_MIB),
        ("cached home page", f"{wc['rps']:.0f} req/s", f">= {TARGET_CACHED_RPS:.0f} req/s", wc["rps"] >= TARGET_CACHED_RPS),
        ("cached home page, p99", f"{wc['p99_ms']:.2f} ms", f"< {TARGET_CACHED_P99_MS:.0f} ms",
         wc["p99_ms"] < TARGET_CACHED_P99_MS),
        ("uncached home, library pool (mean of 2)", f"{lib_rps:.1f} req/s", ">= hand-built", lib_rps >= hand_rps),
        ("uncached, library, open_basedir off", f"{nob_rps:.1f} req/s", ">= hand-built -5 %", nob_rps >= 0.95 * hand_rps),
        ("uncached home, hand-built pool (mean of 2)", f"{hand_rps:.1f} req/s", "", None),
    ]
    for label, val, target, met in table:
        print(f"  {label:<44}{val:>14}  {target:<18}{'' if met is None else ok(met)}")
    print("\nCPU used by other processes on the machine meanwhile (average cores busy outside this benchmark): " +
          ", ".join(f"{k} {v:.2f}" for k, v in R["others_cores"].items()))
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    sys.exit(main())
