"""SpineBench: scoring for the segment-aware spinal diagnosis benchmark.

SpineBench (the second seed, ``spinebench.md``) evaluates vision-language
models on spinal diagnosis and treatment with three components -- text
multiple-choice questions, image-text MCQs and report generation judged on a
ten-dimension clinical rubric -- and combines them into a size-weighted
total.  No public scorer exists; this package is the project's own,
deterministic design, built from the same pieces as the SpineFairBench side
(regex parsing, the NumPy-identical bootstrap, one error type, JSON outputs).

Where each piece lives:

* :mod:`~spinefairbench.spinebench.io` -- strict JSON/JSONL reading,
  validation of the item bank, predictions and judgements, the atomic writer;
* :mod:`~spinefairbench.spinebench.mcq` -- the option letter a free-text
  answer chooses (explicit / option_text / ambiguous / unparsed);
* :mod:`~spinefairbench.spinebench.levels` -- vertebral levels named in text
  (``L4-5`` -> ``L4/L5``, ``T2-weighted`` is not a level) and level metrics;
* :mod:`~spinefairbench.spinebench.scoring` -- P1, P2, P3, Closed-QA, the
  total, the stratified bootstrap, breakdowns, the score JSON;
* :mod:`~spinefairbench.spinebench.agreement` -- LLM-vs-human judge agreement
  (Pearson with Fisher-z CI, Spearman);
* :mod:`~spinefairbench.spinebench.table_check` -- exact recomputation of a
  published table's derived columns;
* :mod:`~spinefairbench.spinebench.demo_data` -- the synthetic demo set.

The command line is :mod:`spinefairbench.commands.spinebench`
(``python -m spinefairbench spinebench score|levels|agreement|check-table|demo``).
"""
