"""Pure lexical parsers of the frozen benchmark definition, and Jaccard.

Everything here is a function of text only: no file access, no printing.
The keyword registries and regular expressions are read from the frozen
definitions data file (``spinefairbench/data/frozen_definitions.json``),
a verbatim transcription of the benchmark's frozen lexical definition.
"""
