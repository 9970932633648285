"""Processes the concurrency tests start: ``python -m tests.store.workers MODE URL START ...``.

Each waits until the wall-clock time START so that they hit the database together.
"""

from __future__ import annotations

import json
import sys
import time

from champion._store import Store
from champion._store.engine import open_engine
from champion._store.migrations import upgrade
from tests.store.factories import result, trial


def _wait(start: float) -> None:
    time.sleep(max(0.0, start - time.time()))


def main() -> None:
    mode, url, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    _wait(start)
    if mode == "open":
        engine = open_engine(url)
        print(json.dumps(upgrade(engine)))
        engine.dispose()
        return
    name, batches = sys.argv[4], int(sys.argv[5])
    with Store(url) as store:
        store.begin_run(result(f"own-{name}"))
        for batch in range(batches):
            store.add_trials(f"own-{name}", [trial(name, f"C{i}", batch) for i in range(10)])
            # Both writers store the same keys in the shared run: each lands once.
            store.add_trials("shared", [trial("m", f"C{i}", batch) for i in range(5)])
    print(json.dumps({"batches": batches}))


if __name__ == "__main__":
    main()
