"""Reading and validating the SpineBench input files.

Three inputs feed the scorer (``spinebench.md`` §1): the item bank
(``spinebench-items-v1``), a model's predictions
(``spinebench-predictions-v1``) and the judges' rubric scores
(``spinebench-judgements-v1``).  The bank and the predictions may also be
JSONL: a header line with the top-level keys, then one list element per line.

Every problem is raised as :class:`~spinefairbench.errors.SpineFairBenchError`
and renders as one line ``<file>[:<line>[:<column>]]: <field path>:
<expected>``.  JSON is parsed by the project's one strict reader
(:func:`spinefairbench.bundle.loaders.parse_json_text`): duplicate keys,
``NaN``/``Infinity`` and numbers that overflow are refused with their line
and column, and deep nesting is a clean error rather than a crash.  Writing
goes through :mod:`spinefairbench.atomic`.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from spinefairbench.atomic import write_atomically
from spinefairbench.bundle.loaders import parse_json_text
from spinefairbench.errors import SpineFairBenchError
from spinefairbench.spinebench.levels import is_canonical_level

ITEMS_SCHEMA = "spinebench-items-v1"
PREDICTIONS_SCHEMA = "spinebench-predictions-v1"
JUDGEMENTS_SCHEMA = "spinebench-judgements-v1"

DEFAULT_RUBRIC: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("imaging_report", ("imaging_report",)),
    ("diagnosis", ("diagnosis",)),
    ("treatment", ("patient_guidance", "evidence_based_treatment", "technical_feasibility")),
    ("risk_prognosis", ("risk_prognosis",)),
    ("overall_quality", ("coverage", "relevance", "granularity", "interpretability")),
)

COMPONENTS = ("text_mcq", "image_mcq", "report")


# --------------------------------------------------------------------------
# Text and JSON parsing


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_and_column(text: str, pos: int) -> tuple[int, int]:
    """Physical line and column (both from 1) of offset ``pos``; ``\\r\\n``, ``\\r``, ``\\n`` end lines.

    >>> line_and_column("ab\\r\\ncd\\ref", 7)
    (3, 1)
    >>> line_and_column("", 0)
    (1, 1)
    """
    line, line_start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, pos):
        line, line_start = line + 1, match.end()
    return line, pos - line_start + 1


def read_text(path: str) -> str:
    """The UTF-8 text of ``path`` without one leading byte-order mark."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise SpineFairBenchError(f"cannot read file ({error.strerror or error})", path=path) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = data[:error.start].decode("utf-8")
        line, column = line_and_column(prefix, len(prefix))
        raise SpineFairBenchError("invalid UTF-8", path=path, line=line, column=column) from None


def is_jsonl(path: str) -> bool:
    """``.jsonl`` in any case selects the line format.

    >>> is_jsonl("bank.JSONL"), is_jsonl("bank.json")
    (True, False)
    """
    return str(path).lower().endswith(".jsonl")


def read_json(path: str) -> object:
    """The one JSON value in ``path``, parsed strictly by the shared loader."""
    text = _LINE_BREAK.sub("\n", read_text(path))
    return parse_json_text(text, path, strict=True)


def read_jsonl(path: str) -> list[tuple[int, object]]:
    """``(physical line, value)`` for every non-blank line of ``path``."""
    records = []
    for number, raw in enumerate(_LINE_BREAK.split(read_text(path)), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            records.append((number, parse_json_text(line, path, strict=True)))
        except SpineFairBenchError as error:  # relocate to the physical line of the file
            indent = len(raw) - len(raw.lstrip())
            column = None if error.column is None else indent + error.column
            raise SpineFairBenchError(error.message, path=path, line=number, column=column) from None
    return records


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 atomically (see :mod:`spinefairbench.atomic`)."""
    target = Path(path)
    write_atomically(target, text.encode("utf-8"))
    return target


def dump_json(document: object, *, sort_keys: bool = True) -> str:
    """The house JSON form: indent 2, sorted keys, ASCII only, trailing newline; NaN is a bug.

    Input files that carry meaning in their key order (a bank's rubric) are
    written with ``sort_keys=False``.

    >>> dump_json({"b": None, "a": "é"})
    '{\\n  "a": "\\\\u00e9",\\n  "b": null\\n}\\n'
    >>> dump_json({"b": 1, "a": 2}, sort_keys=False)
    '{\\n  "b": 1,\\n  "a": 2\\n}\\n'
    """
    return json.dumps(document, indent=2, sort_keys=sort_keys, ensure_ascii=True, allow_nan=False) + "\n"


# --------------------------------------------------------------------------
# Locations and field paths

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def field_path(prefix: str, key: str | int) -> str:
    """JSON-path form of ``prefix`` plus one step.

    >>> field_path("items[3]", "options"), field_path("items", 3), field_path("", "a b")
    ('items[3].options', 'items[3]', '["a b"]')
    """
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if not _IDENTIFIER.fullmatch(key):
        return f"{prefix}[{json.dumps(key)}]"
    return f"{prefix}.{key}" if prefix else key


@dataclass(frozen=True)
class _Where:
    """A file and, for JSONL, the physical line that errors point at."""

    path: str
    line: int | None = None

    def error(self, field: str, expected: str) -> SpineFairBenchError:
        return SpineFairBenchError(expected, path=self.path, line=self.line, field=field or None)


@dataclass(frozen=True)
class _Document:
    """A JSON or JSONL input seen as one top-level object plus where each list element came from."""

    top: dict
    where: _Where
    list_key: str
    element_location: Callable[[int], tuple[_Where, str]]


def _read_document(path: str, list_key: str, *, allow_jsonl: bool) -> _Document:
    where = _Where(path)
    if allow_jsonl and is_jsonl(path):
        records = read_jsonl(path)
        if not records:
            raise where.error("", "expected a JSONL header line")
        header_line, header = records[0]
        header_where = _Where(path, header_line)
        if not isinstance(header, dict):
            raise header_where.error("", "expected a JSON object")
        if list_key in header:
            raise header_where.error(list_key, "not allowed in the JSONL header (one element per line)")
        lines = [number for number, _ in records[1:]]
        top = dict(header)
        top[list_key] = [value for _, value in records[1:]]
        return _Document(top, header_where, list_key, lambda index: (_Where(path, lines[index]), ""))
    top = read_json(path)
    if not isinstance(top, dict):
        raise where.error("", "expected a JSON object")
    return _Document(top, where, list_key, lambda index: (where, field_path(list_key, index)))


# --------------------------------------------------------------------------
# Small typed getters shared by the three schemas


def _check_schema(obj: dict, where: _Where, schema: str) -> None:
    if "schema_version" not in obj:
        raise where.error("schema_version", "missing required key")
    if obj["schema_version"] != schema:
        raise where.error("schema_version", f'expected "{schema}"')


def _check_known_keys(obj: dict, where: _Where, prefix: str, allowed,
                      not_for_kind: tuple = (), kind: str = "") -> None:
    for key in obj:
        if key in allowed:
            continue
        if key in not_for_kind:
            raise where.error(field_path(prefix, key), f'not allowed for kind "{kind}"')
        raise where.error(field_path(prefix, key), "unknown key")


def _is_blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def _required(obj: dict, key: str, where: _Where, prefix: str) -> object:
    if key not in obj:
        raise where.error(field_path(prefix, key), "missing required key")
    return obj[key]


def _non_blank(value: object, where: _Where, field: str) -> str:
    if _is_blank(value):
        raise where.error(field, "expected a non-blank string")
    return value


def _optional_non_blank(obj: dict, key: str, where: _Where, prefix: str) -> str | None:
    if key not in obj:
        return None
    return _non_blank(obj[key], where, field_path(prefix, key))


def _optional_object(obj: dict, key: str, where: _Where, prefix: str) -> None:
    if key in obj and not isinstance(obj[key], dict):
        raise where.error(field_path(prefix, key), "expected an object")


def _level_list(value: object, where: _Where, field: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise where.error(field, "expected a list of canonical level strings")
    seen: set[str] = set()
    for index, level in enumerate(value):
        if not isinstance(level, str) or not is_canonical_level(level):
            raise where.error(field_path(field, index), 'expected a canonical level such as "L4" or "L4/L5"')
        if level in seen:
            raise where.error(field_path(field, index), f'duplicate level "{level}"')
        seen.add(level)
    return tuple(value)


# --------------------------------------------------------------------------
# Item bank


@dataclass(frozen=True)
class Item:
    """One bank item; fields that do not apply to its kind are ``None``."""

    item_id: str
    kind: str
    modality: str | None = None
    question: str | None = None
    options: Mapping[str, str] | None = None
    answer: str | None = None
    image: str | None = None
    levels: tuple[str, ...] | None = None
    prompt: str | None = None
    reference_levels: tuple[str, ...] | None = None
    subfield: str | None = None
    language: str | None = None

    @property
    def component(self) -> str:
        """``text_mcq``, ``image_mcq`` or ``report``."""
        return "report" if self.kind == "report" else f"{self.modality}_mcq"


@dataclass(frozen=True)
class ItemBank:
    path: str
    name: str
    synthetic: bool
    rubric: tuple[tuple[str, tuple[str, ...]], ...]
    items: tuple[Item, ...]

    def count(self, component: str) -> int:
        return sum(1 for item in self.items if item.component == component)


_TOP_KEYS = {
    "items": ("schema_version", "name", "synthetic", "rubric", "items"),
    "responses": ("schema_version", "model", "responses"),
    "judgements": ("schema_version", "judgements"),
}
_MCQ_KEYS = ("item_id", "kind", "modality", "question", "options", "answer", "image", "levels",
             "subfield", "language", "metadata")
_REPORT_KEYS = ("item_id", "kind", "prompt", "reference_levels", "subfield", "language", "metadata")
_OPTION_KEY = re.compile(r"[A-Z]")


def load_item_bank(path: str) -> ItemBank:
    """Read and validate an item bank (§1.1)."""
    document = _read_document(path, "items", allow_jsonl=True)
    top, where = document.top, document.where
    _check_schema(top, where, ITEMS_SCHEMA)
    _check_known_keys(top, where, "", _TOP_KEYS["items"])
    name = Path(path).stem
    if "name" in top:
        name = _non_blank(top["name"], where, "name")
    synthetic = top.get("synthetic", False)
    if not isinstance(synthetic, bool):
        raise where.error("synthetic", "expected a boolean")
    rubric = _rubric(top["rubric"], where) if "rubric" in top else DEFAULT_RUBRIC
    elements = _required(top, "items", where, "")
    if not isinstance(elements, list) or not elements:
        raise where.error("items", "expected a non-empty list of item objects")
    items: list[Item] = []
    seen: set[str] = set()
    for index, element in enumerate(elements):
        item_where, prefix = document.element_location(index)
        item = _item(element, item_where, prefix, seen)
        seen.add(item.item_id)
        items.append(item)
    return ItemBank(path, name, synthetic, rubric, tuple(items))


def _rubric(value: object, where: _Where) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict) or not value:
        raise where.error("rubric", "expected an object with at least one section")
    sections = []
    for section, dimensions in value.items():
        field = field_path("rubric", section)
        if not section.strip():
            raise where.error(field, "expected a non-blank section name")
        if not isinstance(dimensions, list) or not dimensions:
            raise where.error(field, "expected a non-empty list of dimension names")
        for index, dimension in enumerate(dimensions):
            _non_blank(dimension, where, field_path(field, index))
            if dimension in dimensions[:index]:
                raise where.error(field_path(field, index), f'duplicate dimension "{dimension}"')
        sections.append((section, tuple(dimensions)))
    return tuple(sections)


def _item(value: object, where: _Where, prefix: str, seen: set[str]) -> Item:
    if not isinstance(value, dict):
        raise where.error(prefix, "expected an item object")
    item_id = _non_blank(_required(value, "item_id", where, prefix), where, field_path(prefix, "item_id"))
    if item_id in seen:
        raise where.error(field_path(prefix, "item_id"), f'duplicate item_id "{item_id}"')
    kind = _required(value, "kind", where, prefix)
    if kind not in ("mcq", "report"):
        raise where.error(field_path(prefix, "kind"), 'expected "mcq" or "report"')
    allowed, other = (_MCQ_KEYS, _REPORT_KEYS) if kind == "mcq" else (_REPORT_KEYS, _MCQ_KEYS)
    _check_known_keys(value, where, prefix, allowed, not_for_kind=other, kind=kind)
    common = {
        "subfield": _optional_non_blank(value, "subfield", where, prefix),
        "language": _optional_non_blank(value, "language", where, prefix),
    }
    _optional_object(value, "metadata", where, prefix)
    if kind == "report":
        prompt = _non_blank(_required(value, "prompt", where, prefix), where, field_path(prefix, "prompt"))
        reference = None
        if "reference_levels" in value:
            reference = _level_list(value["reference_levels"], where, field_path(prefix, "reference_levels"))
        return Item(item_id, kind, prompt=prompt, reference_levels=reference, **common)
    modality = _required(value, "modality", where, prefix)
    if modality not in ("text", "image"):
        raise where.error(field_path(prefix, "modality"), 'expected "text" or "image"')
    question = _non_blank(_required(value, "question", where, prefix), where, field_path(prefix, "question"))
    options = _options(_required(value, "options", where, prefix), where, field_path(prefix, "options"))
    answer = _required(value, "answer", where, prefix)
    if not isinstance(answer, str) or answer not in options:
        raise where.error(field_path(prefix, "answer"), f"expected one of the option keys {', '.join(options)}")
    if modality == "image":
        _required(value, "image", where, prefix)
    image = _optional_non_blank(value, "image", where, prefix)
    levels = None
    if "levels" in value:
        levels = _level_list(value["levels"], where, field_path(prefix, "levels"))
    return Item(item_id, kind, modality=modality, question=question, options=options, answer=answer,
                image=image, levels=levels, **common)


def _options(value: object, where: _Where, field: str) -> dict[str, str]:
    if not isinstance(value, dict) or len(value) < 2:
        raise where.error(field, "expected an object with at least 2 options")
    for key, text in value.items():
        if not _OPTION_KEY.fullmatch(key):
            raise where.error(field_path(field, key), "expected a single upper-case letter A-Z as option key")
        _non_blank(text, where, field_path(field, key))
    return dict(value)


# --------------------------------------------------------------------------
# Predictions


@dataclass(frozen=True)
class Predictions:
    path: str
    model: dict
    responses: Mapping[str, str]  # item_id -> response, in file order

    @property
    def model_name(self) -> str:
        return self.model["name"]


def load_predictions(path: str, bank: ItemBank) -> Predictions:
    """Read and validate a model's predictions against the bank (§1.2)."""
    document = _read_document(path, "responses", allow_jsonl=True)
    top, where = document.top, document.where
    _check_schema(top, where, PREDICTIONS_SCHEMA)
    _check_known_keys(top, where, "", _TOP_KEYS["responses"])
    model = _required(top, "model", where, "")
    if not isinstance(model, dict):
        raise where.error("model", "expected an object")
    _non_blank(_required(model, "name", where, "model"), where, "model.name")
    entries = _required(top, "responses", where, "")
    if not isinstance(entries, list):
        raise where.error("responses", "expected a list of response objects")
    known = {item.item_id for item in bank.items}
    responses: dict[str, str] = {}
    for index, entry in enumerate(entries):
        entry_where, prefix = document.element_location(index)
        if not isinstance(entry, dict):
            raise entry_where.error(prefix, "expected a response object")
        _check_known_keys(entry, entry_where, prefix, ("item_id", "response", "metadata"))
        item_id = _required(entry, "item_id", entry_where, prefix)
        if not isinstance(item_id, str) or item_id not in known:
            raise entry_where.error(field_path(prefix, "item_id"), "expected the item_id of an item in the bank")
        if item_id in responses:
            raise entry_where.error(field_path(prefix, "item_id"), f'duplicate response for item "{item_id}"')
        response = _required(entry, "response", entry_where, prefix)
        if not isinstance(response, str):
            raise entry_where.error(field_path(prefix, "response"), "expected a string")
        _optional_object(entry, "metadata", entry_where, prefix)
        responses[item_id] = response
    return Predictions(path, model, responses)


# --------------------------------------------------------------------------
# Judgements


@dataclass(frozen=True)
class Judgement:
    item_id: str
    model: str
    judge: str
    scores: tuple[tuple[int, ...], ...]  # per rubric section, dimensions in rubric order

    @property
    def kind(self) -> str:
        """The part of ``judge`` before the first ``:``.

        >>> Judgement("r", "m", "llm:judge-a", ()).kind, Judgement("r", "m", "human", ()).kind
        ('llm', 'human')
        """
        return self.judge.split(":", 1)[0]


def load_judgements(path: str, bank: ItemBank) -> tuple[Judgement, ...]:
    """Read and validate rubric judgements (§1.3), in file order."""
    document = _read_document(path, "judgements", allow_jsonl=False)
    top, where = document.top, document.where
    _check_schema(top, where, JUDGEMENTS_SCHEMA)
    _check_known_keys(top, where, "", _TOP_KEYS["judgements"])
    entries = _required(top, "judgements", where, "")
    if not isinstance(entries, list):
        raise where.error("judgements", "expected a list of judgement objects")
    reports = {item.item_id for item in bank.items if item.kind == "report"}
    judgements = []
    for index, entry in enumerate(entries):
        prefix = field_path("judgements", index)
        if not isinstance(entry, dict):
            raise where.error(prefix, "expected a judgement object")
        _check_known_keys(entry, where, prefix, ("item_id", "model", "judge", "scores", "metadata"))
        item_id = _required(entry, "item_id", where, prefix)
        if not isinstance(item_id, str) or item_id not in reports:
            raise where.error(field_path(prefix, "item_id"), "expected the item_id of a report item in the bank")
        model = _non_blank(_required(entry, "model", where, prefix), where, field_path(prefix, "model"))
        judge = _non_blank(_required(entry, "judge", where, prefix), where, field_path(prefix, "judge"))
        scores = _scores(_required(entry, "scores", where, prefix), where, field_path(prefix, "scores"),
                         bank.rubric)
        _optional_object(entry, "metadata", where, prefix)
        judgements.append(Judgement(item_id, model, judge, scores))
    return tuple(judgements)


def _scores(value: object, where: _Where, field: str, rubric) -> tuple[tuple[int, ...], ...]:
    if not isinstance(value, dict):
        raise where.error(field, "expected an object")
    _check_known_keys(value, where, field, [section for section, _ in rubric])
    sections = []
    for section, dimensions in rubric:
        section_field = field_path(field, section)
        section_scores = _required(value, section, where, field)
        if not isinstance(section_scores, dict):
            raise where.error(section_field, "expected an object")
        _check_known_keys(section_scores, where, section_field, dimensions)
        row = []
        for dimension in dimensions:
            score = _required(section_scores, dimension, where, section_field)
            if type(score) is not int or not 1 <= score <= 5:
                raise where.error(field_path(section_field, dimension), "expected an integer from 1 to 5")
            row.append(score)
        sections.append(tuple(row))
    return tuple(sections)
