"""Registry scale (issue 17): ``oncoseries analyze`` of a generated study at 10^5 and 10^6 patients,
from CSV and from Parquet, each in a fresh process under ``/usr/bin/time -v`` (wall, peak RSS) with
``--timings`` (wall per stage).

    .venv/bin/python benchmarks/bench_analyze_scale.py --patients 100000 1000000 [--work DIR] [--keep]
        [--formats csv parquet] [--py-spy]

The study is the example generator's (``python -m oncoseries.examples.generator --patients N --seed 7``);
the Parquet copy holds the same tables as typed columns (pyarrow's CSV type inference: dates as date32,
whole numbers as int64, true/false as bool, text as strings; empty cells as null), one file per table.
Generated studies are kept in ``--work`` and reused when present (generation is not what is timed).
Targets: 10^6 patients in < 4 min wall and < 8 GB peak memory on the 2-core, 24 GB benchmark machine.
Memory is reported twice: the largest process's peak RSS (``time -v``) and the peak of the summed PSS of
the whole process tree (the command plus the figure worker and writer processes it forks, sampled every
0.5 s): the second is what the machine must hold, and what the target is held to.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: memory is reported in GiB (2^30 bytes), like `--timings` and `/usr/bin/time` (kB / 1024^2)
GIB = 1024 ** 3


def generate(folder: Path, n: int) -> None:
    if (folder / "study.yaml").exists():
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "oncoseries.examples.generator", "--out", str(folder), "--patients",
                    str(n), "--seed", "7"], check=True, env=env)
    print(f"generated {n} patients (CSV) in {time.perf_counter() - t:.0f} s")


def to_parquet(csv_dir: Path, pq_dir: Path) -> None:
    """The same study with every table as a typed Parquet file (pyarrow type inference)."""
    if (pq_dir / "study.yaml").exists():
        return
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    pq_dir.mkdir(parents=True, exist_ok=True)
    for f in csv_dir.iterdir():
        if f.suffix == ".csv":
            table = pcsv.read_csv(f, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
            pq.write_table(table, pq_dir / f"{f.stem}.parquet")
        else:
            shutil.copy(f, pq_dir / f.name)


def _pss(pid: int) -> tuple[int, int]:
    """(proportional set size, private bytes) of ``pid`` (PSS: shared pages split between the processes
    sharing them, so the sum over a process tree is the memory the tree really holds; copy-on-write pages
    count once; private: pages only this process maps)."""
    pss = private = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                    private += int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, private


#: what each process of the tree is, by its command name (report/orphan.name_process)
ROLES = {"osr-prepare": "preparer", "osr-write-early": "early writer", "osr-write": "tables writer",
         "osr-draw": "second drawer"}


def _role(proc, top_pid: int) -> str:
    """The process's role in the tree: the command (child of /usr/bin/time), the figure worker (the
    command's unnamed child), or the name a forked child gave itself."""
    try:
        name = proc.name()
        if name in ROLES:
            return ROLES[name]
        return "command" if proc.ppid() == top_pid else "figure worker" if "python" in name else name
    except Exception:                           # noqa: BLE001  gone meanwhile
        return "?"


def _watch(proc, max_rss_gb: float | None, log=None) -> tuple[str | None, dict]:
    """Wait for ``proc``, sampling every 0.5 s the summed PSS of its process tree (the analyze command and
    the figure worker / writer processes it forks, which run at the same time); stop it (and say why) when
    the analyze process's RSS passes ``max_rss_gb`` (the benchmark machine is shared: a run must not push
    others into swap or the OOM killer). ``log``: a file to which every sample is written (seconds, role,
    pid, PSS and private GiB per process). Returns (why stopped or None, {peak_tree_pss_gb, at_s, parts}),
    parts: (role, PSS GiB, private GiB) of each process above 50 MB at the peak."""
    import psutil

    t0, peak = time.perf_counter(), {"peak_tree_pss_gb": 0.0, "peak_tree_pss_bytes": 0, "at_s": 0.0, "parts": []}
    while proc.poll() is None:
        time.sleep(0.5)
        try:
            kids = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            continue
        now = time.perf_counter() - t0
        parts = [(_role(k, proc.pid), k.pid, *_pss(k.pid)) for k in kids]
        if log is not None:
            for role, pid, b, priv in parts:
                log.write(f"{now:.1f}\t{role}\t{pid}\t{b / GIB:.3f}\t{priv / GIB:.3f}\n")
        total = sum(b for _, _, b, _ in parts)
        if total > peak["peak_tree_pss_bytes"]:
            peak = {"peak_tree_pss_gb": total / GIB, "peak_tree_pss_bytes": total, "at_s": now,
                    "parts": [(role, round(b / GIB, 2), round(priv / GIB, 2)) for role, _, b, priv in parts
                              if b > 5e7]}
        if max_rss_gb is None:
            continue
        try:
            rss = max((k.memory_info().rss for k in kids), default=0) / 1024 ** 3
        except psutil.Error:
            continue
        if rss > max_rss_gb:
            for k in kids:
                k.terminate()
            proc.wait()
            return f"{rss:.1f} GB", peak
    return None, peak


def run(study: Path, out: Path, py_spy: Path | None = None, max_rss_gb: float | None = None,
        log: Path | None = None) -> dict:
    """One ``analyze --timings`` in a fresh process: wall, peak RSS (GB) and seconds per stage."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "oncoseries.cli", "analyze", str(study), "-o", str(out), "--timings"]
    if py_spy is not None:
        spy = Path(sys.executable).with_name("py-spy")
        cmd = [str(spy), "record", "-r", "20", "-o", str(py_spy), "--format", "speedscope", "--"] + cmd
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as errf:
        proc = subprocess.Popen(["/usr/bin/time", "-v"] + cmd, stdout=out, stderr=errf, text=True, env=env)
        if log is not None:
            with open(log, "w") as logf:
                logf.write("seconds\trole\tpid\tpss_gib\tprivate_gib\n")
                stopped, tree = _watch(proc, max_rss_gb, logf)
        else:
            stopped, tree = _watch(proc, max_rss_gb)
        errf.seek(0)
        err = errf.read()
    returncode = proc.returncode
    if stopped:
        print(f"stopped by the watchdog: resident size above {max_rss_gb} GB ({stopped})")
    if returncode:
        print(err[-3000:])
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", err)
    h, m, s = wall.groups()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    stages = {}
    lines = err.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("stage ")), None)
    for ln in lines[start + 1:] if start is not None else []:
        if ln.startswith("total"):
            break
        found = re.match(r"(.+?)\s+([0-9.]+)\s+[0-9]+%\s+([0-9.]+|-)\s+([0-9.]+|-)$", ln)
        if found:
            stages[found.group(1)] = (float(found.group(2)), found.group(3), found.group(4))
    return {"wall_s": int(h or 0) * 3600 + int(m) * 60 + float(s), "peak_rss_gb": rss / 1024 ** 2,
            "stages": stages, "exit": returncode, **tree}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    ap.add_argument("--work", type=Path, default=Path("/tmp/oncoseries-scale"))
    ap.add_argument("--keep", action="store_true", help="keep the outputs of analyze")
    ap.add_argument("--tag", default="", help="added to the output folder's name (out-N-FORMAT-TAG in --work)")
    ap.add_argument("--memory-log", type=Path, default=None,
                    help="write every memory sample (seconds, role, pid, PSS and private GiB) to "
                         "MEMORY_LOG-N-FORMAT.tsv")
    ap.add_argument("--py-spy", action="store_true", help="record a speedscope profile of each run")
    ap.add_argument("--max-rss-gb", type=float, default=12.0,
                    help="stop a run whose resident size passes this (shared machine; default 12)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    for n in args.patients:
        csv_dir = args.work / f"study-{n}-csv"
        generate(csv_dir, n)
        if "parquet" in args.formats:
            to_parquet(csv_dir, args.work / f"study-{n}-parquet")
        for fmt in args.formats:
            study = args.work / f"study-{n}-{fmt}"
            out = args.work / f"out-{n}-{fmt}{'-' + args.tag if args.tag else ''}"
            shutil.rmtree(out, ignore_errors=True)
            prof = args.work / f"prof-{n}-{fmt}.json" if args.py_spy else None
            log = None if args.memory_log is None else Path(f"{args.memory_log}-{n}-{fmt}.tsv")
            r = run(study, out, prof, args.max_rss_gb, log)
            print(f"\n{n:,} patients from {fmt}: wall {r['wall_s']:.1f} s, peak RSS {r['peak_rss_gb']:.2f} GiB "
                  f"(largest process), peak PSS of the process tree {r['peak_tree_pss_gb']:.2f} GiB "
                  f"= {r['peak_tree_pss_bytes'] / 1e9:.2f} x 10^9 bytes at {r['at_s']:.0f} s (processes >50 MB: "
                  f"role, PSS, private GiB: {r['parts']}) "
                  f"(load average now {os.getloadavg()[0]:.1f}){'' if r['exit'] == 0 else ' FAILED'}")
            for k, (v, now, peak) in r["stages"].items():
                print(f"  {k:<32} {v:7.1f} s   rss {now} GB, peak {peak} GB")
            if not args.keep:
                shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
