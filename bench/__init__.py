"""Benchmarks of the set-based marketing-status writes on PostgreSQL (`make bench`, `python -m bench`).

Each scenario times the application's own code path (the "engine": a service called exactly as a
task or view calls it) against a hand-written SQL baseline doing the same work in one transaction,
in the same process, from the same starting state. `docs/benchmarks.md` explains what is measured
and holds the latest figures.

    bench.database   recreate the bench database, set up the account, load contacts, reset state
    bench.scenarios  the scenarios: their starting state, engine call, baseline SQL and checks
    bench.engine     the runner: alternating timed runs, the results table, `run()`

`python -m bench.index` is a separate benchmark, of the contacts index page (see its docstring).
"""
