#!/usr/bin/env python3
"""Benchmark meshlens against the "read + orjson.loads" floor on synthetic meshes.

For each size N: generate the mesh with bench/generate_mesh.py (cached in the work dir), then
run every measurement in a fresh child process and record its wall time (best of --repeat)
and peak memory. Peak memory comes from one more run of each command, after the timed ones:
the larger of ``ru_maxrss`` from ``os.wait4`` and the peak of the memory of the child and its
own children, sampled from /proc every 10 ms. meshlens forks: it parses the YAML in a second
process, which shares its parent's pages until either writes them. ``ru_maxrss`` (the largest
single process) would miss the child, and summed RSS would count the shared pages twice, so
while there is more than one process the sample is the sum of their proportional set sizes
(``Pss`` in smaps_rollup), each shared page split between its sharers. The memory file the
child sends its documents through belongs to no process's memory: its size is added. Reading
smaps_rollup costs milliseconds, which is why the timed runs are not sampled.

meshlens's bytecode is compiled first (``compileall``), as ``pip install`` does: a run under
PYTHONDONTWRITEBYTECODE would otherwise recompile every module each time.

Measured commands:
  floor      python: read the dump bytes + orjson.loads, GC disabled
  inventory  meshlens inventory DUMP -o json  (stdout to /dev/null)
  analyze    meshlens analyze DUMP -c YAML -f json  (stdout to /dev/null)
  help       meshlens --help  (once, not per N)
  jq         jq '[.configs[] | .dynamic_active_clusters? // empty | .[]] | length' DUMP

Ratios are to the floor measured in the same run; see bench/README.md.

Usage: python bench/run.py [--sizes 1000,5000,10000,20000] [--workdir DIR] [--repeat 3] [--write]
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
GENERATOR = BENCH_DIR / "generate_mesh.py"
RESULTS = BENCH_DIR / "results.md"

FLOOR_CODE = (
    "import gc, sys\n"
    "import orjson\n"
    "gc.disable()\n"
    "with open(sys.argv[1], 'rb') as fh:\n"
    "    data = fh.read()\n"
    "orjson.loads(data)\n"
)
JQ_QUERY = "[.configs[] | .dynamic_active_clusters? // empty | .[]] | length"

# Targets from the issues (they are stated for N = 10,000 and shown for every N).
TARGETS: dict[str, tuple[float, float]] = {"inventory": (2.0, 1.5), "analyze": (4.0, 2.0)}
HELP_TARGET_S = 0.150

LABELS = {
    "floor": "floor: read + orjson.loads (GC off)",
    "inventory": "meshlens inventory -o json",
    "analyze": "meshlens analyze -c YAML -f json",
    "jq": "jq (1 query)",
    "help": "meshlens --help",
}
ALL_COMMANDS = ("floor", "jq", "help", "inventory", "analyze")


@dataclass
class RunResult:
    seconds: float
    peak_kb: int
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


@dataclass
class Measurement:
    command: str
    seconds: float | None = None
    peak_mb: float | None = None
    runs: int = 0
    status: str = "ok"  # ok | skipped | failed
    note: str = ""
    times: list[float] = field(default_factory=list)


def run_child(
    argv: list[str],
    *,
    keep_stdout: bool = False,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    sample: bool = False,
) -> RunResult:
    """Run ``argv`` (no shell) and return its wall time and peak memory: its own peak RSS, or
    with ``sample`` the peak of the whole process tree's (see ``_TreeSampler``).

    stdout goes to /dev/null unless ``keep_stdout``; both streams that are kept go through
    temporary files, so a chatty child can never block on a full pipe.
    """
    with tempfile.TemporaryFile() as err_f, tempfile.TemporaryFile() as out_f:
        stdout: Any = out_f if keep_stdout else subprocess.DEVNULL
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err_f, env=env, cwd=cwd
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        sampler = _TreeSampler(proc.pid) if sample else None
        if sampler:
            sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if sampler:
                sampler.stop()
            if timer:
                timer.cancel()
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # already reaped: keep Popen from waiting again
        err_f.seek(0)
        out_f.seek(0)
        return RunResult(
            seconds=elapsed,
            peak_kb=max(usage.ru_maxrss, sampler.peak_kb if sampler else 0),  # KiB on Linux
            returncode=code,
            stdout=out_f.read().decode(errors="replace") if keep_stdout else "",
            stderr=err_f.read().decode(errors="replace"),
            timed_out=timed_out.is_set(),
        )


class _TreeSampler(threading.Thread):
    """Peak memory of a process and its descendants, sampled from /proc (Linux) every 10 ms.

    One process: its RSS. Several (meshlens's forked child): the sum of their proportional
    set sizes, which counts each page shared since the fork once, not once per process.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.01):
            tree = _tree(self.pid)
            used = _rss_kb(tree[0]) if len(tree) == 1 else sum(_pss_kb(p) for p in tree)
            used += _memory_files_kb(tree)
            self.peak_kb = max(self.peak_kb, used)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(child) for child in children)
    return out


def _memory_files_kb(pids: list[int]) -> int:
    """Memory held in memory files (``memfd``) the processes have open, each file once: the
    YAML's process passes its documents through one, and no process's RSS or PSS counts it."""
    seen: dict[tuple[int, int], int] = {}
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                if not os.readlink(path).startswith("/memfd:"):
                    continue
                info = os.stat(path)
            except OSError:
                continue
            seen[(info.st_dev, info.st_ino)] = info.st_blocks // 2
    return sum(seen.values())


def _rss_kb(pid: int) -> int:
    return _field_kb(f"/proc/{pid}/status", "VmRSS:")


def _pss_kb(pid: int) -> int:
    return _field_kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def _field_kb(path: str, name: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tail(text: str, lines: int = 3) -> str:
    kept = [ln.strip() for ln in text.strip().splitlines() if ln.strip()][-lines:]
    return " / ".join(kept)[:300]


def _missing_command(res: RunResult) -> bool:
    err = res.stderr
    return res.returncode == 2 and ("No such command" in err or "No such option" in err)


@dataclass
class Job:
    """One command to measure; its runs are interleaved with the other jobs of the same N."""

    measurement: Measurement
    argv: list[str]
    env: dict[str, str] | None = None
    cwd: Path | None = None
    keep_stdout: bool = False
    check: Callable[[RunResult], str] | None = None
    inputs: tuple[Path, ...] = ()
    """Files the command reads, read once (untimed) before each timed run."""
    peak_kb: int = 0

    @property
    def active(self) -> bool:
        return self.measurement.status == "ok"


def run_job_once(job: Job, round_no: int, repeat: int, timeout: float) -> None:
    """One run; round ``repeat + 1`` is the memory run, sampled and not timed."""
    m = job.measurement
    memory_run = round_no > repeat
    if not memory_run:
        # Shared machines evict the page cache between runs: without this, whichever command
        # comes first after an eviction also times reading its input from disk.
        for path in job.inputs:
            warm_page_cache(path)
    res = run_child(
        job.argv,
        keep_stdout=job.keep_stdout,
        timeout=timeout,
        env=job.env,
        cwd=job.cwd,
        sample=memory_run,
    )
    if res.timed_out:
        m.status, m.note = "failed", f"timed out after {timeout:.0f} s"
    elif _missing_command(res):
        m.status, m.note = "skipped", f"command not available yet ({_tail(res.stderr, 1)})"
    elif res.returncode != 0:
        m.status, m.note = "failed", f"exit {res.returncode}: {_tail(res.stderr)}"
    if m.status != "ok":
        m.seconds = m.peak_mb = None
        print(f"    {m.command}: {m.status}: {m.note}", file=sys.stderr, flush=True)
        return
    if job.check is not None and m.runs == 0 and not memory_run:
        m.note = job.check(res)
    job.peak_kb = max(job.peak_kb, res.peak_kb)
    m.peak_mb = job.peak_kb / 1024
    if memory_run:
        label = f"memory run: {res.peak_kb / 1024:.0f} MB"
    else:
        m.times.append(res.seconds)
        m.runs += 1
        m.seconds = min(m.times)
        label = f"run {round_no}/{repeat}: {res.seconds:.3f} s"
    print(f"    {m.command} {label}", file=sys.stderr, flush=True)


def measure_interleaved(jobs: list[Job], repeat: int, timeout: float) -> None:
    """Run every job ``repeat`` times, round-robin, so that background load on a shared
    machine hits the floor and the commands compared with it alike; then once more each,
    sampling memory."""
    for round_no in range(1, repeat + 2):
        for job in jobs:
            if job.active:
                run_job_once(job, round_no, repeat, timeout)


# --------------------------------------------------------------------------------------------
# meshlens invocation
# --------------------------------------------------------------------------------------------


@dataclass
class Meshlens:
    argv: list[str]
    env: dict[str, str]
    description: str
    usable: bool = True
    note: str = ""


def find_meshlens(override: str | None) -> Meshlens:
    env = dict(os.environ)
    if override:
        return Meshlens(shlex.split(override), env, override)
    script = shutil.which("meshlens")
    if script:
        return Meshlens([script], env, script)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return Meshlens([sys.executable, "-m", "analyzer"], env, f"{sys.executable} -m analyzer")


def probe_meshlens(ml: Meshlens, timeout: float) -> None:
    res = run_child([*ml.argv, "--help"], timeout=timeout, env=ml.env, cwd=REPO)
    if res.returncode != 0:
        ml.usable = False
        ml.note = f"`meshlens --help` failed (exit {res.returncode}): {_tail(res.stderr)}"
        return
    # Which build runs (mypyc-compiled or pure Python) decides much of the analyze figures.
    res = run_child(
        [*ml.argv, "--version"], keep_stdout=True, timeout=timeout, env=ml.env, cwd=REPO
    )
    if res.returncode == 0 and res.stdout.strip():
        ml.description += f" ({res.stdout.strip().rpartition('(')[2].rstrip(')')} build)"


# --------------------------------------------------------------------------------------------
# Mesh generation (cached)
# --------------------------------------------------------------------------------------------


def _generator_sha() -> str:
    sys.path.insert(0, str(BENCH_DIR))  # bench/meshgen, when this file is loaded by path
    from meshgen import source_sha256

    return source_sha256()


def ensure_mesh(n: int, seed: int, workdir: Path) -> tuple[Path, dict[str, Any], bool]:
    """Return (mesh dir, manifest, generated_now)."""
    out = workdir / f"mesh-{n}-seed{seed}"
    manifest_path = out / "manifest.json"
    dump = out / "config_dump.json"
    if manifest_path.exists() and dump.exists() and (out / "istio.yaml").exists():
        manifest: dict[str, Any] = orjson.loads(manifest_path.read_bytes())
        if (
            manifest.get("generator_sha256") == _generator_sha()
            and manifest.get("dump_bytes") == dump.stat().st_size
        ):
            return out, manifest, False
    print(f"  generating N={n} into {out} ...", file=sys.stderr, flush=True)
    res = run_child(
        [sys.executable, str(GENERATOR), str(n), str(out), "--seed", str(seed)], keep_stdout=True
    )
    if res.returncode != 0:
        raise SystemExit(f"generator failed for N={n}: {_tail(res.stderr, 10)}")
    print(f"  {res.stdout.strip()} (peak {res.peak_kb / 1024:.0f} MB)", file=sys.stderr, flush=True)
    manifest = orjson.loads(manifest_path.read_bytes())
    manifest["generator_peak_mb"] = round(res.peak_kb / 1024)
    manifest_path.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return out, manifest, True


def warm_page_cache(path: Path) -> None:
    """Read ``path`` once, so that a timed run reads it from memory."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    n: int
    manifest: dict[str, Any]
    results: dict[str, Measurement]


def _fmt_s(v: float | None) -> str:
    return "—" if v is None else (f"{v:.3f}" if v < 10 else f"{v:.1f}")


def _fmt_mb(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _fmt_ratio(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}×"


def verdict(
    cmd: str, m: Measurement, floor: Measurement, jq: Measurement | None
) -> tuple[str, str]:
    """(target text, verdict text) for one row."""
    if cmd not in TARGETS:
        return "", ""
    t_max, m_max = TARGETS[cmd]
    target = f"≤{t_max:g}× time, ≤{m_max:g}× mem"
    if cmd == "analyze":
        target += ", < jq"
    if m.status != "ok" or m.seconds is None or floor.seconds is None:
        return target, m.status
    tr = _ratio(m.seconds, floor.seconds)
    mr = _ratio(m.peak_mb, floor.peak_mb)
    fails = []
    if tr is not None and tr > t_max:
        fails.append("time")
    if mr is not None and mr > m_max:
        fails.append("mem")
    if cmd == "analyze" and jq is not None and jq.seconds is not None and m.seconds >= jq.seconds:
        fails.append("slower than jq")
    return target, ("PASS" if not fails else "FAIL (" + ", ".join(fails) + ")")


def render(
    sizes: list[SizeResult],
    help_m: Measurement | None,
    meshlens: Meshlens,
    args: argparse.Namespace,
) -> str:
    lines: list[str] = []
    lines.append("# meshlens benchmark results")
    lines.append("")
    lines.append(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, orjson {orjson.__version__}; "
        f"meshlens = `{meshlens.description}`; "
        f"repeat = {args.repeat} (best time; peak memory from one more, sampled run); "
        f"seed = {args.seed}."
    )
    lines.append("")
    lines.append(
        "| N | dump MB | command | best s | peak MB | time × floor | mem × floor | "
        "target | verdict | all runs s | note |"
    )
    lines.append("|---:|---:|---|---:|---:|---:|---:|---|---|---|---|")
    for sr in sizes:
        floor = sr.results.get("floor", Measurement("floor", status="skipped"))
        jq = sr.results.get("jq")
        mb = sr.manifest["dump_bytes"] / 1e6
        for cmd in ("floor", "inventory", "analyze", "jq"):
            m = sr.results.get(cmd)
            if m is None:
                continue
            target, ok = verdict(cmd, m, floor, jq)
            tr = _ratio(m.seconds, floor.seconds)
            mr = _ratio(m.peak_mb, floor.peak_mb)
            note = m.note.replace("|", "\\|")
            runs = " / ".join(_fmt_s(t) for t in m.times)
            lines.append(
                f"| {sr.n:,} | {mb:.1f} | {LABELS[cmd]} | {_fmt_s(m.seconds)} | "
                f"{_fmt_mb(m.peak_mb)} | {_fmt_ratio(tr)} | {_fmt_ratio(mr)} | {target} | {ok} | "
                f"{runs} | {note} |"
            )
    lines.append("")
    if help_m is not None:
        if help_m.status == "ok" and help_m.seconds is not None:
            ok = "PASS" if help_m.seconds < HELP_TARGET_S else "FAIL"
            lines.append(
                f"`meshlens --help`: {help_m.seconds * 1000:.0f} ms best of {help_m.runs}, "
                f"peak {_fmt_mb(help_m.peak_mb)} MB (target < {HELP_TARGET_S * 1000:.0f} ms): {ok}"
            )
        else:
            lines.append(f"`meshlens --help`: {help_m.status} — {help_m.note}")
        lines.append("")
    # Linearity: cost per 1k resources at each N (flat = linear).
    lines.append(
        "Linearity: ms per 1,000 resources (resources = clusters + endpoint assignments + "
        "listeners + virtual hosts; a flat row means cost grows linearly)."
    )
    lines.append("")
    header = "| command | " + " | ".join(f"N={sr.n:,}" for sr in sizes) + " | max/min |"
    lines.append(header)
    lines.append("|---|" + "---:|" * (len(sizes) + 1))
    lines.append(
        "| resources | " + " | ".join(f"{sr.manifest['resources']:,}" for sr in sizes) + " | |"
    )
    for cmd in ("floor", "inventory", "analyze", "jq"):
        vals: list[float | None] = []
        for sr in sizes:
            m = sr.results.get(cmd)
            secs = m.seconds if m is not None and m.status == "ok" else None
            vals.append(None if secs is None else secs * 1000 / (sr.manifest["resources"] / 1000))
        if all(v is None for v in vals):
            continue
        present = [v for v in vals if v is not None]
        spread = f"{max(present) / min(present):.2f}" if len(present) > 1 else "—"
        cells = " | ".join("—" if v is None else f"{v:.1f}" for v in vals)
        lines.append(f"| {LABELS[cmd]} | {cells} | {spread} |")
    lines.append("")
    skipped = {
        f"{LABELS[c]}: {m.note}"
        for sr in sizes
        for c, m in sr.results.items()
        if m.status != "ok" and m.note
    }
    if not meshlens.usable:
        skipped.add(meshlens.note)
    if skipped:
        lines.append("Not measured:")
        lines.extend(f"- {s}" for s in sorted(skipped))
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad --sizes {text!r}") from exc
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return sizes


def _parse_commands(text: str) -> list[str]:
    cmds = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in cmds if c not in ALL_COMMANDS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown command(s) {bad}; choose from {ALL_COMMANDS}")
    return cmds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_parse_sizes, default=[1000, 5000, 10000, 20000])
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "meshlens-bench",
        help="where generated meshes are cached (default: $TMPDIR/meshlens-bench)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best time)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--commands",
        type=_parse_commands,
        default=list(ALL_COMMANDS),
        help=f"subset of {','.join(ALL_COMMANDS)}",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="per-run limit in seconds")
    parser.add_argument("--meshlens", help="command line to run meshlens (default: auto)")
    parser.add_argument(
        "--write", action="store_true", help=f"also write {RESULTS.relative_to(REPO)}"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    workdir = args.workdir.resolve()
    if workdir == REPO or REPO in workdir.parents:
        parser.error("--workdir must be outside the repository (generated dumps are large)")
    workdir.mkdir(parents=True, exist_ok=True)
    # As `pip install` would: compiled once, not at every run under PYTHONDONTWRITEBYTECODE.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "analyzer")],
        check=False,
        stdout=subprocess.DEVNULL,
    )

    meshlens = find_meshlens(args.meshlens)
    wants_meshlens = any(c in args.commands for c in ("help", "inventory", "analyze"))
    if wants_meshlens:
        probe_meshlens(meshlens, args.timeout)
        print(f"meshlens: {meshlens.description} {meshlens.note}", file=sys.stderr, flush=True)
    jq_path = shutil.which("jq")

    help_m: Measurement | None = None
    if "help" in args.commands:
        if meshlens.usable:
            print("meshlens --help", file=sys.stderr, flush=True)
            help_job = Job(Measurement("help"), [*meshlens.argv, "--help"], meshlens.env, REPO)
            measure_interleaved([help_job], max(args.repeat, 5), args.timeout)
            help_m = help_job.measurement
        else:
            help_m = Measurement("help", status="skipped", note=meshlens.note)

    sizes: list[SizeResult] = []
    for n in args.sizes:
        print(f"N={n}", file=sys.stderr, flush=True)
        mesh_dir, manifest, _ = ensure_mesh(n, args.seed, workdir)
        dump, yaml_path = mesh_dir / "config_dump.json", mesh_dir / "istio.yaml"
        warm_page_cache(dump)
        warm_page_cache(yaml_path)
        expected_clusters = manifest["envoy"]["dynamic_active_clusters"]

        def check_jq(res: RunResult, want: int = expected_clusters) -> str:
            got = res.stdout.strip()
            return "" if got == str(want) else f"unexpected jq answer {got!r} (want {want})"

        jobs: list[Job] = []
        results: dict[str, Measurement] = {}
        for cmd in args.commands:
            m = Measurement(cmd)
            results[cmd] = m
            if cmd == "floor":
                jobs.append(Job(m, [sys.executable, "-c", FLOOR_CODE, str(dump)], inputs=(dump,)))
            elif cmd == "jq":
                if jq_path:
                    jobs.append(
                        Job(
                            m,
                            [jq_path, JQ_QUERY, str(dump)],
                            keep_stdout=True,
                            check=check_jq,
                            inputs=(dump,),
                        )
                    )
                else:
                    m.status, m.note = "skipped", "jq not installed"
            elif cmd in ("inventory", "analyze"):
                if not meshlens.usable:
                    m.status, m.note = "skipped", meshlens.note
                    continue
                extra = (
                    ["inventory", str(dump), "-o", "json"]
                    if cmd == "inventory"
                    else ["analyze", str(dump), "-c", str(yaml_path), "-f", "json"]
                )
                inputs = (dump,) if cmd == "inventory" else (dump, yaml_path)
                jobs.append(Job(m, [*meshlens.argv, *extra], meshlens.env, REPO, inputs=inputs))
        results.pop("help", None)
        measure_interleaved(jobs, args.repeat, args.timeout)
        sizes.append(SizeResult(n, manifest, results))

    report = render(sizes, help_m, meshlens, args)
    print(report)
    if args.write:
        RESULTS.write_text(report + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
