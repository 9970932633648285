"""Keep checking after promotion: shadow traffic, canary rollout, stage gates.

- :mod:`~champion._registry.rollout.shadow`: a sample of served calls sent to another
  model off the response path, bounded; :mod:`~.compare` compares the answers (one
  comparer per check kind); :mod:`~.outcomes` writes what was found;
  :mod:`~.report` sums it up (``champion shadow``); :mod:`~.drafts` turns
  disagreements into a suite draft (``champion cases --from-shadow``).
- :mod:`~champion._registry.rollout.canary`: a new pair serving a share of the calls,
  raised step by step, decided per interval; :mod:`~.tally` counts a worker's
  canary calls and :mod:`~.keeper` writes them and decides intervals.
- :mod:`~champion._registry.rollout.gates`: promote what the stage before serves,
  once a check of it passed.
"""
