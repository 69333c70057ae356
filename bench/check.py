"""`make check`: contract fuzzing (more examples), the invariant machine (at least 5,000 steps on each engine),
the security matrix, a short load run and the fault scenarios, then one summary table. Exit status non-zero if
any part failed.

    python -m bench.check [--fuzz-examples 100] [--machine-steps 5000] [--load-seconds 15] [--skip load,faults]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from bench import stack

PG = os.environ.get("LEDGER_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/ledger_check")


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def _pytest(label: str, args: list[str], env: dict | None = None) -> tuple[str, bool, str, float]:
    started = time.monotonic()
    result = subprocess.run([stack.PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=stack.ROOT,
                            env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False)
    tail = [line for line in result.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return label, result.returncode == 0, (tail[-1] if tail else result.stdout[-300:]).strip("= "), \
        time.monotonic() - started


#: Steps per example of the invariant machine in `make check`: long histories (months closed, late items).
MACHINE_STEPS_PER_EXAMPLE = 100


def machine(steps: int, postgres: bool) -> list[tuple[str, bool, str, float]]:
    """The invariant machine of tests/invariants, run until at least `steps` steps on each engine (examples end
    early when hypothesis says so, so it runs rounds until the tally reaches `steps`)."""
    rows = []
    databases = [("SQLite", {})]
    if postgres:
        databases.append(("PostgreSQL", {"LEDGER_TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"}))
    for label, env in databases:
        started, done, examples, ok, detail = time.monotonic(), 0, 0, True, ""
        with tempfile.NamedTemporaryFile(prefix="ledger-machine-", suffix=".tally", delete=False) as tally:
            pass
        while ok and done < steps:
            wanted = max(1, -(-(steps - done) // (MACHINE_STEPS_PER_EXAMPLE // 2)))
            machine_env = {"LEDGER_MACHINE_EXAMPLES": str(wanted), "LEDGER_MACHINE_TALLY": tally.name,
                           "LEDGER_MACHINE_STEPS": str(MACHINE_STEPS_PER_EXAMPLE), **env}
            _, ok, detail, _ = _pytest("machine", ["tests/invariants/test_machine.py"], machine_env)
            with open(tally.name) as handle:
                counts = [line.split() for line in handle if line.strip()]
            before, done, examples = done, sum(int(c[0]) for c in counts), sum(int(c[1]) for c in counts)
            if done == before:
                ok, detail = False, f"no steps taken; {detail}"
        os.unlink(tally.name)
        rows.append((f"invariant machine, {label} ({steps} steps)", ok and done >= steps,
                     f"{done} steps in {examples} examples; {detail}", time.monotonic() - started))
    return rows


def findings() -> int:
    """The findings the proofs made, each kept as a regression test ("Finding N" in tests/proof)."""
    text = (stack.ROOT / "tests" / "proof" / "test_fuzz_findings.py").read_text()
    return len(set(re.findall(r"Finding (\d+)", text)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fuzz-examples", type=int, default=100)
    parser.add_argument("--machine-steps", type=int, default=5000, help="invariant machine steps per engine")
    parser.add_argument("--load-seconds", type=float, default=15)
    parser.add_argument("--skip", default="")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    rows: list[tuple[str, bool, str, float]] = []
    postgres = _postgres_up()
    tried_total = [0]
    if "fuzz" not in skip:
        databases = [("SQLite", {})]
        if postgres:
            databases.append(("PostgreSQL", {"LEDGER_TEST_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test"}))
        for label, env in databases:
            with tempfile.NamedTemporaryFile(prefix="ledger-fuzz-", suffix=".tally", delete=False) as tally:
                pass
            fuzz_env = {"LEDGER_FUZZ_EXAMPLES": str(args.fuzz_examples), "LEDGER_FUZZ_TALLY": tally.name, **env}
            name, ok, detail, seconds = _pytest(f"fuzzing, {label} ({args.fuzz_examples}/operation × 5 roles)",
                                                ["tests/proof/test_fuzz.py", "-n", "2"], fuzz_env)
            with open(tally.name) as handle:
                tried = sum(1 for _ in handle)
            os.unlink(tally.name)
            rows.append((name, ok, f"{tried} requests tried; {detail}", seconds))
            tried_total[0] += tried
    if "machine" not in skip:
        rows.extend(machine(args.machine_steps, postgres))
    if "security" not in skip:
        rows.append(_pytest("slow clients cut off by gunicorn's timeout", ["tests/proof/test_slow.py", "-k",
                                                                             "slow_client", "-m", "slow"]))
    if "security" not in skip:
        rows.append(_pytest("security matrix, rate limits, logs, findings",
                            ["tests/proof", "--ignore=tests/proof/test_fuzz.py", "-m", "not slow"]))
    if "load" not in skip and postgres:
        from bench import load

        started = time.monotonic()
        figures = load.run(PG + "_load", duration=args.load_seconds, users=16, workers=4, health_seconds=5)
        load.report(figures)
        ok = all(ok for ok, _ in figures["checks"].values())
        rows.append(("load (short run, PostgreSQL)", ok,
                     f"{figures['throughput']:.0f} req/s, p50/p95/p99 {figures['p50']:.0f}/{figures['p95']:.0f}/"
                     f"{figures['p99']:.0f} ms, health {figures['health_ceiling']:.0f} req/s, ratio "
                     f"{figures['ratio']:.2f} (CPU ratio {figures['cpu_ratio']:.2f}); checks "
                     + ("pass" if ok else "FAIL"),
                     time.monotonic() - started))
        # The busy books in small: the partners' mix while a reconciliation run, an import and a month close work
        # the same database (BENCHMARKS.md "Busy books" has the full sizes).
        started = time.monotonic()
        figures = load.run(PG + "_busy", duration=args.load_seconds, users=16, workers=4, health_seconds=5,
                           busy=2000, busy_import=5000)
        load.report(figures)
        ok = all(ok for ok, _ in figures["checks"].values())
        rows.append(("load with busy books (2,000 to reconcile, 5,000-entry import, a close; PostgreSQL)", ok,
                     f"p50/p95/p99 {figures['p50']:.0f}/{figures['p95']:.0f}/{figures['p99']:.0f} ms; checks "
                     + ("pass" if ok else "FAIL"), time.monotonic() - started))
    if "faults" not in skip:
        from bench import faults

        plan = []
        if postgres:
            plan += [lambda: faults.kill_worker(PG + "_kill"), lambda: faults.kill_during_batch(PG + "_kill"),
                     lambda: faults.kill_during_import(PG + "_kill"), lambda: faults.kill_during_run(PG + "_kill")]
        if os.geteuid() == 0:
            plan += [lambda: faults.pg_restart(None, None), faults.disk_full]
        for scenario in plan:
            started = time.monotonic()
            row = scenario()
            print(f"{'PASS' if row.ok else 'FAIL'}  {row.scenario}: {row.detail}", flush=True)
            rows.append((row.scenario, row.ok, row.detail, time.monotonic() - started))
    width = max(len(r[0]) for r in rows)
    print("\n" + "=" * 100 + "\nmake check — summary\n" + "=" * 100)
    for name, ok, detail, seconds in rows:
        print(f"{'PASS' if ok else 'FAIL'}  {name:<{width}}  {seconds:6.1f}s  {detail[:220]}")
    faults_rows = [r for r in rows if r[0].startswith(("kill", "restart", "fill"))]
    load_rows = [r for r in rows if r[0].startswith("load")]
    print("-" * 100)
    print(f"requests tried by the fuzzer: {tried_total[0]}; failures found and fixed (kept as regression tests): "
          f"{findings()}")
    if load_rows:
        print(f"load held: {load_rows[0][2].split('; checks')[0]}")
    print(f"faults survived: {sum(r[1] for r in faults_rows)}/{len(faults_rows)}; nothing lost: "
          + ("yes" if all(r[1] for r in rows) else "NO — see the FAIL rows"))
    return 0 if rows and all(r[1] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
