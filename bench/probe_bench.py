#!/usr/bin/env python3
"""Health probe benchmark: `wphost probe run` against Prometheus's
blackbox_exporter (Debian's prometheus-blackbox-exporter), on the same HTTP
targets, at the same concurrency, on the same machine, alternating programs.

Targets: a private nginx (Debian's, two workers) serving 4 ports x 4 virtual
hosts on 127.0.0.1, each `return 200 "ok"`. N probe definitions (1,000 and
10,000 by default) are spread round-robin over the 16 (port, name) pairs, each
with its own path.

- libwphost: `wphost --state-dir <fresh> probe run defs.json --json`, one
  child process per run; wall time from fork to exit, peak RSS (the child's
  ru_maxrss through os.wait4), CPU time, the probes' own `timings.total`, and
  where the wall time goes (start-up until the first probe starts, the probing
  window from the first start to the last end, the tail after it: conditions,
  result JSON, the SQLite insert, output, exit).
- blackbox_exporter: a fresh exporter per run (modules http_2xx_vK =
  http_2xx plus a Host header per virtual host), driven by wrk with a Lua
  script that walks the same N targets once (GET /probe?module=...&target=...)
  over keep-alive connections, checks `probe_success 1` in every answer and
  collects `probe_duration_seconds`; probes/s over the first request to the
  last answer; peak RSS from /proc/<pid>/status VmHWM; CPU from /proc/<pid>/stat.

Concurrency: libwphost's one-shot runner has max_in_flight 1000 and
max_per_host 64 per host:port (libwphost/probe/runner.hpp); with 16 host
keys the effective concurrency is min(N, 1000, 16 x 64). wrk opens that many
connections to the exporter, so both run the same number of probes at once.
`--extra-bb-concurrency 64` adds blackbox_exporter runs at a low concurrency
(its best case here) for reference.

It prints figures and asserts nothing (see docs/benchmarks.md). nginx, the
exporter and wrk are stopped at the end, also on Ctrl-C or SIGTERM.

    python3 bench/probe_bench.py [--sizes 1000,10000] [--rounds 2] [--quick]
"""
from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WPHOST = ROOT / "build" / "bin" / "wphost"
NGINX = "/usr/sbin/nginx"
EXPORTER = "/usr/bin/prometheus-blackbox-exporter"
WRK = "/usr/bin/wrk"
MAX_IN_FLIGHT = 1000  # libwphost/probe/runner.hpp RunnerOptions defaults
MAX_PER_HOST = 64

CHILDREN: list[subprocess.Popen] = []

# Walks the target file once: thread `tid` of `nthreads` takes lines tid,
# tid + nthreads, ...; after its last answer it writes its figures to
# <outdir>/thread<tid> (renamed into place) and stops. Connections with
# nothing left to probe wait (delay()); any /-/healthy filler is not counted.
WRK_LUA = r'''
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } pb_timespec;
int clock_gettime(int clk, pb_timespec *ts);
]]
local ts = ffi.new("pb_timespec")
local function now()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC, the same clock as Python's time.monotonic()
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local paths = {}
local sent, answered, ok, fillers = 0, 0, 0, 0
local t_first, t_last = nil, nil
local durations = {}
local failures = {}
local outdir
local primed = false

local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  outdir = args[3]
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == tid then
      local module, target = line:match("^(%S+) (%S+)$")
      paths[#paths + 1] = "/probe?module=" .. module .. "&target=" .. target
    end
    i = i + 1
  end
end

-- A connection with nothing left to probe waits (an hour) instead of asking
-- for more; a few may still send one /-/healthy filler at the very end.
function delay()
  if sent < #paths then return 0 end
  return 3600000
end

function request()
  -- wrk calls request() once on the first thread to check the script
  -- before it starts; that request is never sent.
  if tid == 0 and not primed then
    primed = true
    return wrk.format("GET", "/-/healthy")
  end
  if sent < #paths then
    sent = sent + 1
    if t_first == nil then t_first = now() end
    return wrk.format("GET", paths[sent])
  end
  return wrk.format("GET", "/-/healthy")
end

function response(status, headers, body)
  if not body:find("probe_success", 1, true) then fillers = fillers + 1; return end
  answered = answered + 1
  if body:find("\nprobe_success 1", 1, true) then
    ok = ok + 1
  elseif #failures < 5 then
    failures[#failures + 1] = body:gsub("\n", " | "):sub(1, 600)
  end
  local d = body:match("\nprobe_duration_seconds ([-+%d%.eE]+)")
  if d then durations[#durations + 1] = d end
  if answered == #paths then
    t_last = now()
    local path = outdir .. "/thread" .. tid
    local f = io.open(path .. ".tmp", "w")
    f:write(string.format("%d %d %.6f %.6f %d\n", answered, ok, t_first, t_last, fillers))
    f:write(table.concat(durations, " "), "\n")
    for _, s in ipairs(failures) do f:write(s, "\n") end
    f:close()
    os.rename(path .. ".tmp", path)
    wrk.thread:stop()
  end
end
'''


# ---- processes ----

def _die_with_parent() -> None:
    """Child side: get SIGTERM if this script dies, even by SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def start(argv, **kw) -> subprocess.Popen:
    p = subprocess.Popen(argv, preexec_fn=_die_with_parent, start_new_session=True, **kw)
    CHILDREN.append(p)
    return p


def stop(p: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if p.returncode is None and p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass
    if p in CHILDREN:
        CHILDREN.remove(p)


def stop_all() -> None:
    for p in list(CHILDREN):
        stop(p)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


def proc_status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def proc_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


NGINX_PIDS: list[int] = []


def cpu_snapshot() -> tuple[float, ...]:
    """CPU-seconds so far: machine busy, machine total, interrupts (irq +
    softirq: loopback TCP is mostly processed there and charged to no
    process), steal (the hypervisor's), nginx (master and workers)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    tck = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    total = sum(v[:8])
    busy = total - v[3] - v[4] - v[7]
    ngx = 0.0
    for pid in NGINX_PIDS:
        try:
            ngx += proc_cpu_seconds(pid)
        except OSError:
            pass
    return busy / tck, total / tck, (v[5] + v[6]) / tck, v[7] / tck, ngx


def cpu_delta(before, after, own: float) -> dict:
    """Machine use during a run: busy share, interrupt time, steal, nginx's
    CPU, and the rest (neither the prober, its driver, nginx nor interrupts:
    other users of the machine)."""
    busy, total, irq, steal, ngx = (a - b for a, b in zip(after, before))
    return {"busy_pct": 100 * busy / total if total else 0.0, "nginx_cpu": ngx, "irq_cpu": irq,
            "steal_cpu": steal, "other_cpu": max(0.0, busy - irq - ngx - own)}


# ---- the targets ----

def start_nginx(tmp: Path, ports: list[int], names: list[str]) -> subprocess.Popen:
    servers = []
    for port in ports:
        for i, name in enumerate(names):
            listen = f"127.0.0.1:{port}" + (" backlog=4096" if i == 0 else "")
            servers.append(f'    server {{ listen {listen}; server_name {name}; '
                           f'location / {{ return 200 "ok"; }} }}')
    conf = tmp / "nginx.conf"
    conf.write_text(f"""daemon off;
worker_processes 2;
worker_rlimit_nofile 16384;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_timeout 30s;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
{chr(10).join(servers)}
}}
""")
    p = start([NGINX, "-p", f"{tmp}/", "-e", f"{tmp}/nginx-error.log", "-c", str(conf)],
              stdout=subprocess.DEVNULL, stderr=open(tmp / "nginx-stderr.log", "wb"))
    for port in ports:
        wait_port(port, p, "nginx")
    NGINX_PIDS[:] = [p.pid]
    try:
        with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
            NGINX_PIDS.extend(int(x) for x in f.read().split())
    except OSError:
        pass
    # Every virtual host answers.
    for port in ports:
        for name in names:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": name})
            with urllib.request.urlopen(req, timeout=5) as r:
                assert r.status == 200 and r.read() == b"ok", (port, name)
    return p


def write_targets(tmp: Path, n: int, ports: list[int], names: list[str]) -> tuple[Path, Path]:
    """defs-N.json for wphost, targets-N.txt ("module url" lines) for the exporter."""
    defs, lines = [], []
    for i in range(n):
        port = ports[i % len(ports)]
        k = (i // len(ports)) % len(names)
        name = names[k]
        defs.append({"name": f"p{i}", "group": name,
                     "url": f"http://{name}:{port}/p{i}",
                     "client": {"resolve": [f"{name}:{port}:127.0.0.1"]},
                     "timeouts": {"total": "5s"},
                     "conditions": ["[STATUS] == 200"]})
        target = urllib.parse.quote(f"http://127.0.0.1:{port}/p{i}", safe="")
        lines.append(f"http_2xx_v{k} {target}")
    d = tmp / f"defs-{n}.json"
    d.write_text(json.dumps(defs))
    t = tmp / f"targets-{n}.txt"
    t.write_text("\n".join(lines) + "\n")
    return d, t


def write_exporter_config(tmp: Path, names: list[str]) -> Path:
    mods = ["modules:",
            "  http_2xx:",
            "    prober: http",
            "    timeout: 5s",
            "    http:",
            "      preferred_ip_protocol: ip4"]
    for k, name in enumerate(names):
        mods += [f"  http_2xx_v{k}:",
                 "    prober: http",
                 "    timeout: 5s",
                 "    http:",
                 "      preferred_ip_protocol: ip4",
                 "      headers:",
                 f"        Host: {name}"]
    path = tmp / "bb.yml"
    path.write_text("\n".join(mods) + "\n")
    return path


# ---- measurements ----

def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))]


def run_wphost(defs: Path, n: int, tmp: Path, tag: str) -> dict:
    state = tmp / f"state-{tag}"
    shutil.rmtree(state, ignore_errors=True)
    out_path, err_path = tmp / f"wphost-{tag}.json", tmp / f"wphost-{tag}.err"
    argv = [str(WPHOST), "--state-dir", str(state), "probe", "run", str(defs), "--json"]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        snap0 = cpu_snapshot()
        t0_unix, t0 = time.time(), time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=err, preexec_fn=_die_with_parent)
        CHILDREN.append(p)
        _, status, ru = os.wait4(p.pid, 0)  # this child's own rusage: its peak RSS and CPU
        wall = time.monotonic() - t0
        snap1 = cpu_snapshot()
        t1_unix = t0_unix + wall
        p.returncode = os.waitstatus_to_exitcode(status)
        CHILDREN.remove(p)
    if p.returncode not in (0, 1):  # 1: some probe failed, still a run
        sys.exit(f"wphost probe run failed ({p.returncode}): {err_path.read_text()[-2000:]}")
    results = json.loads(out_path.read_text())
    if len(results) != n:
        sys.exit(f"wphost returned {len(results)} results for {n} definitions")
    ok = sum(1 for r in results if r["success"])
    totals = [r["timings"]["total"] for r in results if r["timings"].get("total") is not None]
    first_start = min(r["time_ms"] for r in results) / 1000
    last_end = max(r["time_ms"] / 1000 + (r["timings"].get("total") or 0) for r in results)
    errors: dict[str, int] = {}
    for r in results:
        if not r["success"]:
            why = r.get("error") or "; ".join(c["detail"] for c in r.get("conditions", []) if not c["success"])
            errors[why] = errors.get(why, 0) + 1
    return {
        "program": "libwphost", "n": n, "ok": ok, "wall": wall, "rate": n / wall,
        "rss_mib": ru.ru_maxrss / 1024, "cpu": ru.ru_utime + ru.ru_stime,
        "user": ru.ru_utime, "sys": ru.ru_stime,
        "p50_ms": pct(totals, 0.5) * 1000, "p99_ms": pct(totals, 0.99) * 1000,
        "startup": first_start - t0_unix, "window": last_end - first_start, "tail": t1_unix - last_end,
        "out_mib": out_path.stat().st_size / 2**20,
        "db_mib": sum(f.stat().st_size for f in state.rglob("*") if f.is_file()) / 2**20 if state.exists() else 0,
        "errors": errors, **cpu_delta(snap0, snap1, ru.ru_utime + ru.ru_stime),
    }


def run_blackbox(targets: Path, bb_conf: Path, n: int, concurrency: int, tmp: Path, tag: str) -> dict:
    port = free_ports(1)[0]
    log = open(tmp / f"exporter-{tag}.log", "wb")
    exporter = start([EXPORTER, f"--config.file={bb_conf}", f"--web.listen-address=127.0.0.1:{port}"],
                     stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, exporter, "blackbox_exporter")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=5) as r:
            assert r.status == 200
        rss_idle = proc_status_kib(exporter.pid, "VmRSS") / 1024
        threads = 2 if concurrency >= 2 else 1
        conns = max(threads, concurrency - concurrency % threads)
        outdir = tmp / f"wrk-{tag}"
        shutil.rmtree(outdir, ignore_errors=True)
        outdir.mkdir()
        lua = tmp / "walk.lua"
        lua.write_text(WRK_LUA)
        argv = [WRK, f"-t{threads}", f"-c{conns}", "-d3600s", "--timeout", "30s", "-s", str(lua),
                f"http://127.0.0.1:{port}/", "--", str(targets), str(threads), str(outdir)]
        wrk_out = open(tmp / f"wrk-{tag}.out", "wb")
        snap0, cpu0 = cpu_snapshot(), proc_cpu_seconds(exporter.pid)
        wrk = start(argv, stdout=wrk_out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60 + n / 50
        files = [outdir / f"thread{t}" for t in range(threads)]
        while not all(f.exists() for f in files):
            if wrk.poll() is not None:
                sys.exit(f"wrk exited early ({wrk.returncode}): {(tmp / f'wrk-{tag}.out').read_text()[-2000:]}")
            if time.monotonic() > deadline:
                sys.exit(f"blackbox_exporter run {tag} did not finish in time")
            time.sleep(0.01)
        hwm = proc_status_kib(exporter.pid, "VmHWM") / 1024
        cpu = proc_cpu_seconds(exporter.pid)
        snap1 = cpu_snapshot()
        wrk_cpu = proc_cpu_seconds(wrk.pid)
        # wrk's main thread sleeps for -d; SIGINT ends it (and prints its summary).
        wrk.send_signal(signal.SIGINT)
        _, status, ru = os.wait4(wrk.pid, 0)
        wrk.returncode = os.waitstatus_to_exitcode(status)
        CHILDREN.remove(wrk)
    finally:
        stop(exporter)
        log.close()
        if "wrk_out" in locals():
            wrk_out.close()
    answered = ok = fillers = 0
    t_first, t_last = math.inf, 0.0
    durations: list[float] = []
    failures: list[str] = []
    for f in files:
        lines = f.read_text().split("\n")
        a, o, t0, t1, fill = lines[0].split()
        fillers += int(fill)
        answered += int(a)
        ok += int(o)
        t_first, t_last = min(t_first, float(t0)), max(t_last, float(t1))
        durations += [float(x) for x in lines[1].split()]
        failures += [x for x in lines[2:] if x]
    if answered != n:
        sys.exit(f"blackbox_exporter answered {answered} of {n} probes")
    wall = t_last - t_first
    return {
        "program": "blackbox_exporter", "n": n, "ok": ok, "wall": wall, "rate": n / wall,
        "rss_mib": hwm, "rss_idle_mib": rss_idle, "cpu": cpu - cpu0,  # the run's, not start-up's
        "driver_cpu": ru.ru_utime + ru.ru_stime, "concurrency": conns,
        **cpu_delta(snap0, snap1, cpu - cpu0 + wrk_cpu),
        "p50_ms": pct(durations, 0.5) * 1000, "p99_ms": pct(durations, 0.99) * 1000,
        "failures": failures[:3], "fillers": fillers,
    }


# ---- report ----

def machine() -> str:
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), {mem / 1024:.1f} GiB RAM, Linux {platform.release()}"


def versions() -> str:
    def first_line(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except Exception as e:
            return f"? ({e})"
    return "; ".join([first_line([NGINX, "-v"]), first_line([EXPORTER, "--version"]), first_line([WRK, "-v"])])


def row(r: dict, conc: int) -> str:
    return (f"{r['n']:>6} {r['program']:<18} {conc:>5} {r['rate']:>9.0f} {r['ok']:>6}/{r['n']:<6} "
            f"{r['wall']:>7.2f} {r['rss_mib']:>8.1f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['cpu']:>6.2f} "
            f"{1e6 * r['cpu'] / r['n']:>7.0f} {r['nginx_cpu']:>6.2f} {r['irq_cpu']:>6.2f} {r['busy_pct']:>5.0f} "
            f"{r['other_cpu']:>6.2f}")


HEADER = (f"{'N':>6} {'program':<18} {'conc':>5} {'probes/s':>9} {'ok/total':>13} "
          f"{'wall s':>7} {'RSS MiB':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU s':>6} {'µs/prb':>7} "
          f"{'nginx':>6} {'irq':>6} {'busy%':>5} {'other':>6}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000", help="probe counts, comma-separated")
    ap.add_argument("--rounds", type=int, default=2, help="times each program runs each size (alternating)")
    ap.add_argument("--ports", type=int, default=4)
    ap.add_argument("--names", type=int, default=4, help="virtual hosts per port")
    ap.add_argument("--extra-bb-concurrency", type=int, default=0,
                    help="also run blackbox_exporter once per size at this concurrency (e.g. 64)")
    ap.add_argument("--quick", action="store_true", help="1,000 probes, one round")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    sizes = [1000] if args.quick else [int(x) for x in args.sizes.split(",") if x]
    rounds = 1 if args.quick else args.rounds

    for tool in (WPHOST, NGINX, EXPORTER, WRK):
        if not os.access(tool, os.X_OK):
            sys.exit(f"missing {tool} (build with: cd build && make wphost_cli)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # children inherit it
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with SIGINT ignored
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)

    load = open("/proc/loadavg").read().split()[:3]
    print(f"machine: {machine()}")
    print(f"versions: {versions()}; wphost {WPHOST}")
    print(f"RLIMIT_NOFILE {want}; load average at start {' '.join(load)}")
    if float(load[0]) > 0.5:
        print("warning: the machine is busy (load > 0.5); figures will be low and noisy")

    tmp = Path(tempfile.mkdtemp(prefix="probe-bench-"))
    results: list[tuple[dict, int]] = []
    try:
        ports = free_ports(args.ports)
        names = [f"v{k}.bench.test" for k in range(args.names)]
        start_nginx(tmp, ports, names)
        bb_conf = write_exporter_config(tmp, names)
        hosts = len(ports) * len(names)
        print(f"nginx: ports {ports} x {len(names)} virtual hosts, 2 workers; work dir {tmp}")
        files = {n: write_targets(tmp, n, ports, names) for n in sizes}
        print(f"concurrency: libwphost min(N, max_in_flight {MAX_IN_FLIGHT}, {hosts} hosts x max_per_host "
              f"{MAX_PER_HOST}); wrk opens as many connections to blackbox_exporter")
        print("columns: probes/s = N / wall (libwphost: fork to exit; blackbox_exporter: first request to last "
              "answer); RSS = peak (ru_maxrss / VmHWM); p50/p99 = the probes' own durations (timings.total / "
              "probe_duration_seconds); CPU s and µs/prb = the prober's CPU (user+sys); nginx = its CPU s; "
              "irq = CPU s in interrupts (most loopback TCP work; charged to no process); busy% = the "
              "machine's (steal excluded); other = CPU s of everything else (other users of the machine)")
        print()
        print(HEADER, flush=True)
        for rnd in range(rounds):
            for n in sizes:
                conc = min(n, MAX_IN_FLIGHT, hosts * MAX_PER_HOST)
                defs, targets = files[n]
                order = ("libwphost", "blackbox") if rnd % 2 == 0 else ("blackbox", "libwphost")
                for prog in order:
                    tag = f"{prog}-{n}-{rnd}"
                    if prog == "libwphost":
                        r = run_wphost(defs, n, tmp, tag)
                    else:
                        r = run_blackbox(targets, bb_conf, n, conc, tmp, tag)
                        conc = r["concurrency"]
                    results.append((r, conc))
                    print(row(r, conc), flush=True)
                    time.sleep(1)  # let TIME_WAIT and the run's stragglers settle a little
        if args.extra_bb_concurrency:
            for n in sizes:
                _, targets = files[n]
                r = run_blackbox(targets, bb_conf, n, args.extra_bb_concurrency, tmp, f"bb-low-{n}")
                r["program"] = "blackbox (low c)"
                results.append((r, r["concurrency"]))
                print(row(r, r["concurrency"]), flush=True)
    finally:
        stop_all()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("\nlibwphost, where the wall time goes (s): start-up until the first probe starts, "
          "probing window, tail (conditions, JSON, SQLite insert, output, exit)")
    for r, _ in results:
        if r["program"] == "libwphost":
            print(f"  N={r['n']:>6}: start-up {r['startup']:.3f}  window {r['window']:.3f} "
                  f"({r['n'] / r['window']:.0f} probes/s inside it)  tail {r['tail']:.3f};  "
                  f"user {r['user']:.2f} sys {r['sys']:.2f};  JSON out {r['out_mib']:.1f} MiB, "
                  f"state dir {r['db_mib']:.1f} MiB" + (f";  failures {r['errors']}" if r["errors"] else ""))
    print("blackbox_exporter: idle RSS before the run (MiB), wrk's CPU (s)")
    for r, _ in results:
        if r["program"] != "libwphost":
            print(f"  N={r['n']:>6} c={r['concurrency']}: idle RSS {r['rss_idle_mib']:.1f}, wrk CPU "
                  f"{r['driver_cpu']:.2f}, filler requests {r['fillers']}" + (f"; failures: {r['failures']}" if r["failures"] else ""))

    print("\nsummary (mean over rounds, same concurrency):")
    for n in sizes:
        lw = [r for r, _ in results if r["program"] == "libwphost" and r["n"] == n]
        bb = [r for r, _ in results if r["program"] == "blackbox_exporter" and r["n"] == n]
        if not lw or not bb:
            continue
        m = {k: (statistics.mean(x[k] for x in lw), statistics.mean(x[k] for x in bb))
             for k in ("rate", "rss_mib", "p50_ms", "p99_ms")}
        speed = m["rate"][0] / m["rate"][1]
        mem = m["rss_mib"][0] / m["rss_mib"][1]
        print(f"  N={n}: libwphost {m['rate'][0]:.0f} probes/s, {m['rss_mib'][0]:.1f} MiB, "
              f"p50/p99 {m['p50_ms'][0]:.2f}/{m['p99_ms'][0]:.2f} ms; blackbox_exporter "
              f"{m['rate'][1]:.0f} probes/s, {m['rss_mib'][1]:.1f} MiB, p50/p99 "
              f"{m['p50_ms'][1]:.2f}/{m['p99_ms'][1]:.2f} ms")
        print(f"    rate {speed:.2f}x (target >= 2x: {'met' if speed >= 2 else 'NOT met'}), "
              f"memory {mem:.2f}x (target <= 0.5x: {'met' if mem <= 0.5 else 'NOT met'}), "
              f">= 5000 probes/s: {'met' if m['rate'][0] >= 5000 else 'NOT met'}")
    print(f"load average at end {' '.join(open('/proc/loadavg').read().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
