"""A small, entirely synthetic SpineBench demo set, generated deterministically.

Nothing here comes from the real SpineBench: every question, option, report,
response and judgement is invented to exercise the scorer end to end.  The
set is marked ``"synthetic": true`` and named ``SpineBench synthetic demo``.

What it covers on purpose:

* 30 MCQs (16 text, 14 image) over five subfields, in English and Chinese,
  half of them tagged with vertebral levels;
* 8 report prompts with ``reference_levels`` (one names no level);
* two demo models whose answers use every explicit format of §2.1, option-text
  answers, ambiguous and unparsable answers, and reports that name levels as
  ranges, en-dash pairs and spelled-out vertebrae next to MRI-sequence false
  positives such as ``T2-weighted``;
* LLM and human judgements for both models, some items judged twice;
* a hand-made published table with one consistent row, one row reproduced
  only by the unweighted mean, one wrong row and one that cannot be checked.

>>> bank = demo_item_bank()
>>> bank["synthetic"], len(bank["items"])
(True, 38)
>>> sorted({item.get("language") for item in bank["items"] if item["kind"] == "mcq"})
['en', 'zh']
"""

from __future__ import annotations

from pathlib import Path

from spinefairbench.spinebench.io import (DEFAULT_RUBRIC, ITEMS_SCHEMA, JUDGEMENTS_SCHEMA, PREDICTIONS_SCHEMA,
                                          dump_json, write_text_atomic)

DEMO_NAME = "SpineBench synthetic demo"
DEMO_MODELS = ("demo-vlm-a", "demo-vlm-b")

# (modality, subfield, language, levels, question, options A.., answer)
_MCQS = (
    ("text", "degenerative", "en", ["L4/L5"],
     "A 52-year-old has chronic low back pain. Which radiographic sign at L4/L5 indicates disc degeneration?",
     ["Osteophytes only at the facet joints", "Disc space narrowing", "Spondylolisthesis", "Fracture"], "B"),
    ("text", "degenerative", "en", None,
     "Which structure most often compresses the traversing nerve root in a paracentral lumbar disc herniation?",
     ["Nucleus pulposus", "Ligamentum flavum", "Facet capsule", "Pedicle"], "A"),
    ("text", "trauma", "en", ["T12/L1"],
     "Which injury pattern is most typical at the thoracolumbar junction after a fall from height?",
     ["Burst fracture", "Odontoid fracture", "Sacral insufficiency fracture", "Clay-shoveler fracture"], "A"),
    ("text", "trauma", "en", None,
     "Which column must be disrupted for a thoracolumbar fracture to be considered unstable in the three-column model?",
     ["Anterior column alone", "Middle column", "Spinous processes", "Transverse processes"], "B"),
    ("text", "deformity", "en", None,
     "Which measurement is used to quantify the magnitude of a scoliotic curve?",
     ["Cobb angle", "Pelvic incidence", "Sagittal vertical axis", "Risser grade"], "A"),
    ("text", "deformity", "en", ["L5/S1"],
     "A pars interarticularis defect at L5 most commonly leads to which condition at L5/S1?",
     ["Degenerative scoliosis", "Isthmic spondylolisthesis", "Schmorl node", "Diffuse idiopathic skeletal hyperostosis"],
     "B"),
    ("text", "infection", "en", ["L2/L3"],
     "Which MRI pattern best suggests pyogenic spondylodiscitis at L2/L3?",
     ["Disc and adjacent endplate involvement", "Isolated posterior element lesion",
      "Intact disc with vertebral collapse", "Fatty marrow replacement"], "A"),
    ("text", "infection", "en", None,
     "Which organism is the most common cause of pyogenic vertebral osteomyelitis?",
     ["Staphylococcus aureus", "Escherichia coli", "Mycobacterium tuberculosis", "Candida albicans"], "A"),
    ("text", "tumor", "en", None,
     "Which primary tumour most commonly metastasises to the spine in women?",
     ["Breast carcinoma", "Thyroid carcinoma", "Melanoma", "Osteosarcoma"], "A"),
    ("text", "tumor", "en", ["T8"],
     "A lesion of the T8 vertebral body spares the disc. Which diagnosis is most likely?",
     ["Metastasis", "Discitis", "Disc herniation", "Scheuermann disease"], "A"),
    ("text", "degenerative", "en", ["C5/C6"],
     "Which symptom is most typical of C5/C6 foraminal stenosis?",
     ["Deltoid and biceps weakness", "Intrinsic hand weakness", "Foot drop", "Urinary retention"], "A"),
    ("text", "degenerative", "en", None,
     "What is the first-line treatment for acute lumbar radiculopathy without red flags?",
     ["Conservative care", "Emergency decompression", "Spinal fusion", "Vertebroplasty"], "A"),
    ("text", "trauma", "zh", ["C1"],
     "寰椎（C1）爆裂骨折又称为哪种骨折？",
     ["Jefferson骨折", "Hangman骨折", "Chance骨折", "Clay-shoveler骨折"], "A"),
    ("text", "degenerative", "zh", None,
     "腰椎间盘突出症最常见的节段是哪一个？",
     ["L4/L5与L5/S1", "T11/T12", "C2/C3", "L1/L2"], "A"),
    ("text", "deformity", "zh", None,
     "青少年特发性脊柱侧凸最常见的主弯类型是？",
     ["右胸弯", "左胸弯", "右腰弯", "颈胸弯"], "A"),
    ("text", "tumor", "zh", ["L3"],
     "L3椎体出现“象牙椎”表现最可能提示？",
     ["成骨性转移瘤", "骨质疏松", "椎间盘炎", "血管瘤"], "A"),
    ("image", "degenerative", "en", ["L4/L5"],
     "The sagittal MRI shows a lumbar disc. What is the main finding at L4/L5?",
     ["Disc extrusion", "Normal disc", "Vertebral fracture", "Epidural abscess"], "A"),
    ("image", "degenerative", "en", None,
     "The lateral radiograph shows anterior bony spurs. What are they?",
     ["Osteophytes", "Syndesmophytes", "Fracture fragments", "Calcified disc"], "A"),
    ("image", "trauma", "en", ["L1"],
     "The CT image shows loss of height of L1 with retropulsion. What is the diagnosis?",
     ["Compression fracture", "Burst fracture", "Chance fracture", "Normal vertebra"], "B"),
    ("image", "trauma", "en", None,
     "The open-mouth view shows a lucent line through the dens. What is the diagnosis?",
     ["Odontoid fracture", "Jefferson fracture", "Normal dens", "Os odontoideum"], "A"),
    ("image", "deformity", "en", None,
     "The standing radiograph shows a lateral curve. What is the most likely diagnosis?",
     ["Scoliosis", "Kyphosis", "Spondylolisthesis", "Ankylosing spondylitis"], "A"),
    ("image", "deformity", "en", ["L5/S1"],
     "The lateral radiograph shows forward slip of L5 on S1. What is the grade if the slip is 40%?",
     ["Grade I", "Grade II", "Grade III", "Grade IV"], "B"),
    ("image", "infection", "en", ["T9/T10"],
     "The MRI shows destruction of the T9/T10 endplates with a paravertebral abscess. What is the most likely diagnosis?",
     ["Tuberculous spondylitis", "Metastasis", "Schmorl node", "Modic type 1 change"], "A"),
    ("image", "infection", "en", None,
     "The contrast MRI shows a rim-enhancing epidural collection. What is it?",
     ["Epidural abscess", "Epidural lipomatosis", "Disc sequestration", "Arachnoid cyst"], "A"),
    ("image", "tumor", "en", None,
     "The MRI shows a vertebral body lesion bright on T1 and T2. What is the most likely diagnosis?",
     ["Haemangioma", "Metastasis", "Myeloma", "Lymphoma"], "A"),
    ("image", "tumor", "en", ["T4"],
     "The CT shows an expansile lytic lesion of the T4 posterior elements in a teenager. Which diagnosis fits best?",
     ["Aneurysmal bone cyst", "Haemangioma", "Chordoma", "Osteoporosis"], "A"),
    ("image", "degenerative", "zh", ["C5/C6"],
     "颈椎MRI矢状位显示C5/C6水平脊髓受压，最可能的诊断是？",
     ["脊髓型颈椎病", "颈椎骨折", "颈椎结核", "正常颈椎"], "A"),
    ("image", "trauma", "zh", None,
     "腰椎侧位片显示椎体楔形变，最可能的诊断是？",
     ["压缩性骨折", "椎间盘突出", "腰椎滑脱", "强直性脊柱炎"], "A"),
    ("image", "deformity", "zh", None,
     "全脊柱正位片显示“S”形弯曲，最可能的诊断是？",
     ["脊柱侧凸", "脊柱后凸", "正常脊柱", "骨盆倾斜"], "A"),
    ("image", "tumor", "zh", ["T10"],
     "胸椎MRI显示T10椎体信号异常伴椎弓根破坏，最可能的诊断是？",
     ["转移瘤", "血管瘤", "许莫氏结节", "终板炎"], "A"),
)

_REPORTS = (
    ("Write the imaging report and management plan for a 45-year-old with sciatica and a lumbar MRI.",
     ["L4/L5"]),
    ("Report the lumbar MRI of a 60-year-old with chronic low back pain and bilateral leg pain.",
     ["L4/L5", "L5/S1"]),
    ("Report the cervical MRI of a 58-year-old with hand clumsiness and gait disturbance.", ["C5/C6"]),
    ("Report the thoracolumbar radiograph of a 72-year-old woman with acute back pain after a minor fall.",
     ["T12"]),
    ("Report the lumbar radiographs of a 50-year-old with mechanical back pain and a palpable step-off.",
     ["L4/L5"]),
    ("Report the lumbar MRI of a 68-year-old with neurogenic claudication.", ["L2", "L3", "L4"]),
    ("Report the CT of a 30-year-old after a fall from height with back pain and no neurological deficit.",
     ["T12/L1"]),
    ("Report the standing whole-spine radiograph of a 14-year-old with shoulder asymmetry.", []),
)

# Report responses per model: ranges, en dashes, spelled vertebrae and MRI-sequence false positives.
_REPORT_RESPONSES = {
    "demo-vlm-a": (
        "Findings: T2-weighted images show a left paracentral disc extrusion at L4-5 compressing the L5 nerve "
        "root. Impression: L4/L5 disc herniation. Plan: conservative care, review at 6 weeks.",
        "Findings: disc degeneration at L4\u2013L5 and L5\u2013S1 with a T2 hyperintense annular fissure at "
        "L5/S1. Plan: physiotherapy; consider decompression if claudication progresses.",
        "Findings: cervical spondylotic myelopathy with cord compression at C5-6; T2 signal change in the cord. "
        "Plan: surgical decompression is recommended.",
        "Findings: acute compression fracture of the twelfth thoracic vertebra with 30% height loss. "
        "Plan: analgesia, bone density assessment, consider vertebroplasty.",
        "Findings: grade I anterolisthesis of L4 on L5 with disc space narrowing at L4/5. "
        "Plan: activity modification and core strengthening.",
        "Findings: multilevel central canal stenosis from L2 to L4, worst at L3. "
        "Plan: decompression of the stenotic levels if conservative care fails.",
        "Findings: burst fracture at the thoracolumbar junction; T1 and T2 hyperintense marrow oedema, "
        "posterior wall intact. Plan: brace and early mobilisation.",
        "Findings: right thoracic curve of 35 degrees, no focal vertebral anomaly; STIR images unremarkable. "
        "Plan: bracing and observation of curve progression.",
    ),
    "demo-vlm-b": (
        "Degenerative changes of the lumbar spine at L3-4. Rest is advised.",
        "Disc bulge at L5-S1. Physiotherapy.",
        "Cervical stenosis at C5 and C6 on T2 W images. Surgery may be considered.",
        "Compression fracture at T12 (no T12L1 malalignment).",
        "Spondylolisthesis at L4-L5 with an L4-5mm slip. Follow-up radiographs.",
        "Stenosis L2-4. Decompression.",
        "Fracture of the first lumbar vertebra. Brace.",
        "Scoliosis; on T2 no cord signal abnormality. Observation.",
    ),
}

# Response formats (§2.1 and what falls through it).  Each takes the chosen
# letter, its option text and another letter.
_EN_FORMATS = (
    lambda letter, text, other: f"The answer is ({letter}).",
    lambda letter, text, other: f"**Answer:** {letter}",
    lambda letter, text, other: f"Final answer: Option {letter}",
    lambda letter, text, other: f"Answer: {letter.lower()}",
    lambda letter, text, other: f"({letter.lower()})",
    lambda letter, text, other: f"{letter.lower()}.",
    lambda letter, text, other: f"**{letter}**",
    lambda letter, text, other: f"{letter}. {text}",
    lambda letter, text, other: f"{letter}) {text}",
    lambda letter, text, other: f"The correct option is {letter}, not option {other}.",
    lambda letter, text, other: letter,
    lambda letter, text, other: f"[{letter}]",
    lambda letter, text, other: f"The findings are most consistent with {text.lower()}.",
    lambda letter, text, other: f"Option {letter} and option {other} are both plausible.",
    lambda letter, text, other: "The answer is E.",
    lambda letter, text, other: "A 45-year-old patient would need further imaging before deciding.",
)
_ZH_FORMATS = (
    lambda letter, text, other: f"{letter}. {text}",
    lambda letter, text, other: f"答案：{letter}",  # no English lead-in and no option text: unparsed
    lambda letter, text, other: f"Answer: {letter}（{text}）",
    lambda letter, text, other: f"最可能是：{text}。",
)


def _letters(options: list[str]) -> list[str]:
    return [chr(ord("A") + index) for index in range(len(options))]


def demo_item_bank() -> dict:
    """The demo item bank as a ``spinebench-items-v1`` document."""
    items = []
    counters = {"text": 0, "image": 100}
    for modality, subfield, language, levels, question, options, answer in _MCQS:
        counters[modality] += 1
        item_id = f"mcq-{counters[modality]:04d}"
        item = {"item_id": item_id, "kind": "mcq", "modality": modality, "question": question,
                "options": dict(zip(_letters(options), options)), "answer": answer,
                "subfield": subfield, "language": language}
        if modality == "image":
            item["image"] = f"images/{item_id}.png"
        if levels is not None:
            item["levels"] = levels
        items.append(item)
    for index, (prompt, reference) in enumerate(_REPORTS, start=1):
        items.append({"item_id": f"rep-{index:04d}", "kind": "report", "prompt": prompt,
                      "reference_levels": reference, "subfield": "report", "language": "en"})
    return {"schema_version": ITEMS_SCHEMA, "name": DEMO_NAME, "synthetic": True,
            "rubric": {section: list(dimensions) for section, dimensions in DEFAULT_RUBRIC},
            "items": items}


def demo_predictions(model: str) -> dict:
    """Predictions of one demo model: ``demo-vlm-a`` is the stronger one."""
    model_index = DEMO_MODELS.index(model)
    responses = []
    mcqs = [item for item in demo_item_bank()["items"] if item["kind"] == "mcq"]
    seen_per_language = {"en": 0, "zh": 0}
    for index, item in enumerate(mcqs):
        letters = list(item["options"])
        wrong = index % 5 == 3 if model_index == 0 else index % 3 == 1
        chosen = letters[(letters.index(item["answer"]) + wrong) % len(letters)]
        other = letters[(letters.index(chosen) + 1) % len(letters)]
        formats = _ZH_FORMATS if item["language"] == "zh" else _EN_FORMATS
        # Model a walks through every format in turn; model b strides through them.
        count = seen_per_language[item["language"]]
        seen_per_language[item["language"]] += 1
        render = formats[(count * (2 * model_index + 1) + model_index) % len(formats)]
        responses.append({"item_id": item["item_id"],
                          "response": render(chosen, item["options"][chosen], other)})
    for index, text in enumerate(_REPORT_RESPONSES[model], start=1):
        responses.append({"item_id": f"rep-{index:04d}", "response": text})
    return {"schema_version": PREDICTIONS_SCHEMA,
            "model": {"name": model, "synthetic": True, "description": "Invented demo model; not a real system."},
            "responses": responses}


# Report quality per model (1..5), and per-judge dimension offsets rotated by item.
_QUALITY = {"demo-vlm-a": (4, 5, 4, 4, 3, 5, 4, 4), "demo-vlm-b": (3, 2, 3, 4, 2, 3, 3, 2)}
_OFFSETS = {
    "llm:judge-a": (0, 1, 0, -1, 0, 1, -1, 0, 0, 1),
    "llm:judge-b": (1, 0, -1, 0, 0, 1, 0, -1, 1, 0),
    "human:reader-1": (0, 0, -1, 0, 1, 0, 0, -1, 1, 0),
    "human:reader-2": (-1, 0, 0, 1, 0, -1, 1, 0, 0, 0),
}
# Which items each judge scores (every judge-a and reader-1; the others twice-judge a few).
_JUDGED_ITEMS = {"llm:judge-a": range(8), "llm:judge-b": (1, 4), "human:reader-1": range(8),
                 "human:reader-2": (2,)}


def _judgement_scores(model: str, judge: str, item_index: int) -> dict:
    base = _QUALITY[model][item_index]
    offsets = _OFFSETS[judge]
    scores, position = {}, 0
    for section, dimensions in DEFAULT_RUBRIC:
        scores[section] = {}
        for dimension in dimensions:
            scores[section][dimension] = max(1, min(5, base + offsets[(position + item_index) % len(offsets)]))
            position += 1
    return scores


def demo_judgements() -> dict:
    """LLM and human judgements of both demo models' reports."""
    judgements = []
    for item_index in range(len(_REPORTS)):
        for model in DEMO_MODELS:
            for judge, items in _JUDGED_ITEMS.items():
                if item_index in items:
                    judgements.append({"item_id": f"rep-{item_index + 1:04d}", "model": model, "judge": judge,
                                       "scores": _judgement_scores(model, judge, item_index),
                                       "metadata": {"synthetic": True}})
    return {"schema_version": JUDGEMENTS_SCHEMA, "judgements": judgements}


#: Hand-made published table (sizes 487/87): ``alpha`` is the spec's worked
#: example (ok), ``beta`` is reproduced only by the unweighted mean, ``delta``
#: matches neither formula, ``epsilon`` has no total to check.
DEMO_PUBLISHED_TABLE = """\
model,closed_qa,report,total,note
synthetic-alpha,80.00,60.00,76.97,worked example
synthetic-beta,80.00,60.00,70.00,unweighted mean
synthetic-gamma,85.00,90.00,85.76,consistent
synthetic-delta,70.00,50.00,75.00,typo
synthetic-epsilon,75.50,-,-,no report score
"""


def write_demo_set(out_dir) -> dict[str, Path]:
    """Write the demo files into ``out_dir`` (created if needed), each atomically.

    Returns the written paths by name: ``items``, ``predictions_<model>``,
    ``judgements`` and ``published_table``.
    """
    folder = Path(out_dir)
    # Key order is kept: the rubric's section order is meaningful.
    documents = {"items": demo_item_bank()}
    for model in DEMO_MODELS:
        documents[f"predictions_{model}"] = demo_predictions(model)
    documents["judgements"] = demo_judgements()
    written = {name: write_text_atomic(folder / f"{name}.json", dump_json(document, sort_keys=False))
               for name, document in documents.items()}
    written["published_table"] = write_text_atomic(folder / "published_table.csv", DEMO_PUBLISHED_TABLE)
    return written
