"""``radiologist``: recompute the public radiologist-validation counts and the 2-of-3 majority (§5.13)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from spinefairbench.bundle import layout as L
from spinefairbench.bundle.fields import dig
from spinefairbench.bundle.loaders import load_json_object, read_csv_rows
from spinefairbench.bundle.paths import contained, required
from spinefairbench.commands.framework import Context, Transcript
from spinefairbench.errors import SpineFairBenchError

REPORT = L.VALIDATION_REPORT
SUBSET = L.VALIDATED_SUBSET
EXCLUSIONS = L.EXCLUSION_LIST
PUBLIC_MANIFEST = L.VALIDATION_MANIFEST
DETECTABILITY = L.DETECTABILITY_CSV
HIDDEN_REPEATS = L.HIDDEN_REPEATS_CSV
PAIR_RESULTS = L.PAIR_RESULTS_CSV


@dataclass(frozen=True)
class RadiologistTally:
    """Recomputed radiologist-validation facts."""

    schema: object
    validated: list
    excluded: list
    majority_pass: list[str]
    voted_pairs: int
    detectability_rows: int
    cannot_tell: int
    per_reviewer_rows: int
    hidden_repeat_rows: int


def majority_pass(rows: list[dict]) -> tuple[list[str], int]:
    """Sorted pairs with exactly 3 rows, >= 2 Q1 'Yes' and >= 2 Q2 'Yes'; and the number of voted pairs.

    >>> rows = [{"pair_id": "p", "q1_clinical_plausibility": "Yes", "q2_pathology_preservation": v}
    ...         for v in ("Yes", "Yes", "yes")]
    >>> majority_pass(rows)
    (['p'], 1)
    >>> majority_pass(rows[:2])
    ([], 1)
    """
    count, q1, q2 = Counter(), Counter(), Counter()
    for number, row in enumerate(rows, start=2):
        if "pair_id" not in row:
            raise SpineFairBenchError("missing column pair_id", path=PAIR_RESULTS, line=number)
        pair = row["pair_id"]
        count[pair] += 1
        q1[pair] += row.get("q1_clinical_plausibility") == "Yes"
        q2[pair] += row.get("q2_pathology_preservation") == "Yes"
    passing = sorted(p for p in count if count[p] == 3 and q1[p] >= 2 and q2[p] >= 2)
    return passing, len(count)


def _list_field(document: dict, rel: str, key: str) -> list:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise SpineFairBenchError("expected a list", path=rel, field=key)
    return value


def tally(context: Context) -> RadiologistTally:
    root = context.root
    loaded = {}
    for rel in (REPORT, SUBSET, EXCLUSIONS, PUBLIC_MANIFEST):
        required(root, rel)
        loaded[rel] = load_json_object(root / rel, rel)
    for rel in (DETECTABILITY, HIDDEN_REPEATS, PAIR_RESULTS):
        required(root, rel)
    detectability, hidden, pair_rows = (read_csv_rows(root / rel, rel)
                                        for rel in (DETECTABILITY, HIDDEN_REPEATS, PAIR_RESULTS))
    reviewer_files = dig(loaded[PUBLIC_MANIFEST], "files.per_reviewer_files", source=PUBLIC_MANIFEST)
    if not isinstance(reviewer_files, list):
        raise SpineFairBenchError("expected a list of paths", path=PUBLIC_MANIFEST, field="files.per_reviewer_files")
    per_reviewer = 0
    for rel in reviewer_files:
        # The published verifier joins these names unchecked; a bundle must not point outside itself.
        path = contained(root, str(rel))
        required(root, str(rel))
        per_reviewer += len(read_csv_rows(path, str(rel)))
    passing, voted = majority_pass(pair_rows)
    validated = _list_field(loaded[SUBSET], SUBSET, "pair_ids")
    excluded = _list_field(loaded[EXCLUSIONS], EXCLUSIONS, "excluded_pairs")
    return RadiologistTally(
        schema=loaded[REPORT].get("report_schema_version"), validated=validated, excluded=excluded,
        majority_pass=passing, voted_pairs=voted, detectability_rows=len(detectability),
        cannot_tell=sum(row.get("q4_detectability") == "Cannot tell" for row in detectability),
        per_reviewer_rows=per_reviewer, hidden_repeat_rows=len(hidden))


def tally_failure(t: RadiologistTally, expected: dict) -> str | None:
    """The first failing check, in the published order."""
    if len(t.validated) != expected["validated_pairs"] or len(t.excluded) != expected["excluded_pairs"]:
        return "Unexpected public radiologist-validation counts"
    if t.detectability_rows != expected["detectability_rows"]:
        return "Unexpected detectability response count"
    if t.per_reviewer_rows != expected["per_reviewer_rows"]:
        return "Unexpected per-reviewer display-event count"
    if t.hidden_repeat_rows != expected["hidden_repeat_rows"]:
        return "Unexpected hidden-repeat record count"
    if len(t.majority_pass) != expected["validated_pairs"] or t.voted_pairs != expected["voted_pairs"]:
        return "Unexpected 2-of-3 radiologist majority result"
    if not all(isinstance(p, str) for p in t.validated) or set(t.majority_pass) != set(t.validated):
        return "Recomputed majority-pass IDs do not match radiologist_validated_subset.json"
    if t.cannot_tell != expected["cannot_tell"]:
        return "Unexpected 'Cannot tell' detectability count"
    return None


def radiologist(context: Context, out: Transcript) -> None:
    expected = context.profile.data["radiologist"]
    t = tally(context)
    out.emit(f"Public validation report schema: {t.schema}")
    out.emit(f"Validated subset count: {len(t.validated)}")
    out.emit(f"Exclusion count: {len(t.excluded)}")
    out.emit(f"Recomputed 2-of-3 majority pass: {len(t.majority_pass)}/{t.voted_pairs}")
    out.emit(f"Detectability response rows: {t.detectability_rows}")
    out.emit(f"Recomputed detectability 'Cannot tell': {t.cannot_tell}/{t.detectability_rows}")
    out.emit(f"Per-reviewer display-event rows: {t.per_reviewer_rows}")
    out.emit(f"Hidden-repeat rows: {t.hidden_repeat_rows}")
    out.emit(f"Expected validation result: {expected['validated_pairs']} passing, {expected['excluded_pairs']} excluded")
    out.facts.update(validated=len(t.validated), excluded=len(t.excluded), majority_pass=len(t.majority_pass),
                     voted_pairs=t.voted_pairs, detectability_rows=t.detectability_rows, cannot_tell=t.cannot_tell,
                     per_reviewer_rows=t.per_reviewer_rows, hidden_repeat_rows=t.hidden_repeat_rows)
    failure = tally_failure(t, expected)
    if failure:
        raise SpineFairBenchError(failure)
