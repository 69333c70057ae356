"""`ledger statements import` as an operator runs it, against the bare lxml iterparse + executemany of the same file.

    python -m bench.import_ratio [--database-url sqlite] [--database-url postgresql://postgres@127.0.0.1:5432/test]
                                 [--sizes 100000,300000] [--workdir /tmp/ledger-bench] [--profile out.prof]

For each database and size, in fresh databases (bench.statements' `_fresh_database`): the command
`ledger statements import FILE` in a process of its own, timed from its start to its exit (so the process's start-up,
the app's creation and the commit count, as they do for an operator), then the bare baseline
(bench.statements' `run_baseline`: lxml iterparse, one tuple per transaction detail, plain executemany into a table
without an index, one transaction) also in a process of its own and timed the same way, start-up included. Each
child's peak RSS and CPU time come from the kernel (wait4). Printed: both wall times and their ratio (goal ≤ 2.5),
both CPU times (the client process only; on PostgreSQL the server's work is not in them) and their ratio — the figure
that other work on a shared machine moves least —, both peaks, and
the importer's peak at the largest size over that at the smallest (flat memory: about 1), with the load average.
With `--profile`, the import runs under cProfile instead (its time is then not comparable) and the stats are
written to that file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import stack
from bench.statements import _fresh_database


def _timed(argv: list[str], env: dict | None = None) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS in MB, output) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=stack.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    output = child.stdout.read().decode(errors="replace")
    child.stdout.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{' '.join(argv[:4])}… exited {child.returncode}: {output[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


def _setup(url: str) -> None:
    """The statement's own bank account registered (GB), as bench.statements sets it up."""
    from ledger import create_app
    from ledger.cli import transaction
    from ledger.parties.models import BankAccount, Party

    app = create_app({"LEDGER_DATABASE_URL": url, "LEDGER_PSEUDONYM_KEY": "bench-" + "x" * 32})
    with app.app_context(), transaction("bench.setup") as session:
        session.add(Party(code="GB", name="United Kingdom"))
        session.flush()
        session.add(BankAccount(party_code="GB", iban="GB33BUKB20201555555555", currency="EUR"))
    app.extensions["ledger.db"].engine.dispose()


def measure(url: str, path: Path, workdir: Path, profile: str | None = None) -> dict:
    fresh, drop = _fresh_database(url, workdir, "cli-import")
    try:
        _setup(fresh)
        command = [stack.PYTHON]
        if profile:
            command += ["-m", "cProfile", "-o", profile]
        else:
            command += ["-c", "from ledger.cli import main; main()"]
        if profile:
            command += [str(Path(stack.PYTHON).with_name("ledger"))]
        command += ["statements", "import", str(path)]
        # At the baseline's own CPU priority: the ratio compares the work, and a command otherwise yields the CPU
        # to anything else running (LEDGER_BATCH_NICENESS), which would only show on a shared machine.
        ours, ours_cpu, ours_mb, said = _timed(command, stack.environment(fresh, LEDGER_BATCH_NICENESS="0"))
    finally:
        drop()
    fresh, drop = _fresh_database(url, workdir, "cli-bare")
    try:
        baseline = ("import json, sys; from bench.statements import run_baseline; "
                    "print(json.dumps(run_baseline(sys.argv[1], sys.argv[2])))")
        bare, bare_cpu, bare_mb, _ = _timed([stack.PYTHON, "-c", baseline, fresh, str(path)])
    finally:
        drop()
    return {"import_s": ours, "import_mb": ours_mb, "bare_s": bare, "bare_mb": bare_mb, "ratio": ours / bare,
            "import_cpu": ours_cpu, "bare_cpu": bare_cpu, "cpu_ratio": ours_cpu / bare_cpu,
            "said": said.strip().splitlines()[-1] if said.strip() else ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", action="append", dest="urls",
                        help="'sqlite' or a postgresql:// server URL (a database is created on it); repeatable")
    parser.add_argument("--sizes", default="100000,300000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ledger-bench"))
    parser.add_argument("--profile", help="run the import under cProfile, stats to this file (timing not comparable)")
    args = parser.parse_args(argv)
    from bench.statements_gen import statement_files

    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    files = statement_files(args.workdir, sizes)
    print(f"{'database':<10} {'entries':>9} {'import s':>9} {'bare s':>8} {'ratio':>6} {'cpu s':>7} {'bare cpu':>8} "
          f"{'cpu ratio':>9} {'import MB':>10} {'bare MB':>8}  load average")
    for url in args.urls or ["sqlite"]:
        kind = "sqlite" if url == "sqlite" else "postgres"
        peaks = {}
        for size in sizes:
            row = measure(url, files[size], args.workdir, args.profile)
            peaks[size] = row["import_mb"]
            print(f"{kind:<10} {size:>9} {row['import_s']:>9.2f} {row['bare_s']:>8.2f} {row['ratio']:>6.2f} "
                  f"{row['import_cpu']:>7.2f} {row['bare_cpu']:>8.2f} {row['cpu_ratio']:>9.2f} "
                  f"{row['import_mb']:>10.1f} {row['bare_mb']:>8.1f}  "
                  + " ".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)
            print(f"           {row['said']}", flush=True)
        if len(sizes) > 1:
            print(f"{kind}: the import's peak memory at {sizes[-1]:,} / at {sizes[0]:,} = "
                  f"{peaks[sizes[-1]] / peaks[sizes[0]]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
