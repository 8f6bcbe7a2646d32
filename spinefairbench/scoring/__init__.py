"""Scoring a new model's submission against a released pair scope.

The layers, each usable on its own:

* :mod:`~spinefairbench.scoring.submission` -- reading the submission file and
  the published validation rules, in their published order;
* :mod:`~spinefairbench.scoring.scopes` -- the QC index, the expected pair set
  of each scope and the frozen-scope pins;
* :mod:`~spinefairbench.scoring.core` -- pure scoring: refusal accounting,
  endpoints, bootstrap CIs, the per-edit breakdown;
* :mod:`~spinefairbench.scoring.document` -- the ``spinefairbench-score-v1``
  document, its byte-exact serialization and the atomic write;
* :mod:`~spinefairbench.scoring.secondary` -- analyses built on score files:
  paired comparison of two scores and the leaderboard.

The command line (``python -m spinefairbench.release.scoring score`` and
``spinefairbench score|compare|leaderboard``) is in
:mod:`spinefairbench.release.scoring`.
"""

#: The score document's schema, shared by the writer and the readers of score files.
SCORE_SCHEMA = "spinefairbench-score-v1"
