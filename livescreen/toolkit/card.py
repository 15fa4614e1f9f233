"""The first-experiment card: its plain form, its check, its widget form, and committing it.

The plain form is a dict named ``FIRST_EXPERIMENT``::

    FIRST_EXPERIMENT = {
        "hypothesis": {"family": "<a family the form lists>", "columns": [...], "segment": {col: value}, "onset": "YYYY-MM-DD"},
        "evidence": "what I saw that points there",
        "experiment": {"type": "<one of EXPERIMENT_TYPES>", <its parameters>},   # or free text
        "expected_if_true": "...",
        "expected_if_false": "...",
        "decision": "...",
    }

``columns``, ``segment`` and ``onset`` are optional (give what your hypothesis names). The
families a hypothesis can name come from the case (``schema.json["card"]["families"]``).

``commit_card`` stores the first card committed in a folder, with a UTC timestamp, and never
replaces it; every commit is also appended to a history file. A card is never lost: one that is
refused (or not committed yet) is kept as a draft, ``first_experiment_draft.json``, with the reason
it was refused and the field to change; the grader reads it when nothing was committed.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .experiments import EXPERIMENT_TYPES, ExperimentError, normalise

# The vocabulary of folders written before candidate folders carried it in schema.json["card"]:
# read only when the case has none (``families``). The case's vocabulary is the one that counts.
_FOLDER_WITHOUT_VOCABULARY = (
    ("target_leakage", "a feature recorded after the outcome"),
    ("temporal_leakage", "a random split of time-ordered data"),
    ("group_leakage", "the same entity in train and test"),
    ("preprocessing_leakage", "preprocessing or selection fitted on all rows"),
    ("duplicate_leakage", "duplicated or oversampled rows before the split"),
    ("covariate_shift", "inputs shifted, P(y|x) unchanged"),
    ("prior_shift", "the positive rate changed, P(x|y) unchanged"),
    ("concept_drift", "P(y|x) changed"),
    ("schema_change", "an upstream pipeline or schema change"),
    ("train_serve_skew", "a feature computed differently when served"),
    ("selection_bias", "labels only for a selected population (feedback loop)"),
    ("slice_failure", "a segment where the model fails"),
    ("simpson_mix", "a change in the segment mix"),
    ("imbalance_wrong_metric", "rare positives judged by the wrong metric or threshold"),
    ("calibration_mismatch", "scores not calibrated to the live rate"),
    ("label_delay", "labels not yet mature when measured"),
    ("no_failure", "nothing is broken: what looks wrong is within noise"),
)


def families(case=None) -> list[dict]:
    """The failure families a hypothesis can name, ``[{"name", "help"}, ...]``, from the case.

    A candidate folder's ``schema.json`` carries them as ``{"card": {"families": [...]}}`` (the
    same public vocabulary for every case). Without a case, or for a folder written before it
    carried one, the vocabulary above.
    """
    meta = getattr(case, "metadata", None) or {}
    listed = (meta.get("card") or {}).get("families") if isinstance(meta.get("card"), dict) else None
    if listed:
        return [{"name": str(f["name"]), "help": str(f.get("help", ""))} for f in listed]
    return [{"name": n, "help": h} for n, h in _FOLDER_WITHOUT_VOCABULARY]


KEYS = ("hypothesis", "evidence", "experiment", "expected_if_true", "expected_if_false", "decision")
TEXT_KEYS = ("evidence", "expected_if_true", "expected_if_false", "decision")
CARD_FILE = "first_experiment.json"
HISTORY_FILE = "first_experiment_history.jsonl"
DRAFT_FILE = "first_experiment_draft.json"


class CardError(ValueError):
    """A card that is incomplete or malformed, or not yet committed; the message says what to fix.

    ``field`` names the card field to change (``"hypothesis.family"``, ``"decision"``, ...), or is
    None when the card as a whole is wrong.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def empty_card() -> dict:
    """A card with every key present and nothing filled in."""
    return {"hypothesis": {"family": "", "columns": [], "segment": None, "onset": None}, "evidence": "",
            "experiment": {"type": ""}, "expected_if_true": "", "expected_if_false": "", "decision": ""}


def check_card(card, *, case=None) -> dict:
    """Check a first-experiment card; return it normalised or raise ``CardError`` (one line).

    With ``case`` the family is checked against the case's vocabulary and the column names against
    its columns. The error's ``field`` names what to change.
    """
    if not isinstance(card, dict):
        raise CardError(f"FIRST_EXPERIMENT must be a dict with keys {', '.join(KEYS)}; got {type(card).__name__}")
    unknown = sorted(set(card) - set(KEYS))
    if unknown:
        raise CardError(f"FIRST_EXPERIMENT has an unknown key {unknown[0]!r}; its keys are {', '.join(KEYS)}",
                        field=unknown[0])
    for key in KEYS:
        if key not in card:
            raise CardError(f"FIRST_EXPERIMENT needs {key!r}", field=key)
    hyp = card["hypothesis"]
    if not isinstance(hyp, dict):
        raise CardError("hypothesis must be a dict like {'family': ..., 'columns': [...]}", field="hypothesis")
    bad = sorted(set(hyp) - {"family", "columns", "segment", "onset"})
    if bad:
        raise CardError(f"hypothesis has an unknown key {bad[0]!r}; use family, columns, segment, onset",
                        field="hypothesis")
    family = hyp.get("family")
    names = [f["name"] for f in families(case)]
    if not family:
        raise CardError("hypothesis.family is empty: choose the kind of failure you suspect "
                        f"({', '.join(names)})", field="hypothesis.family")
    if family not in names:
        raise CardError(f"hypothesis.family must be one of: {', '.join(names)}; got {family!r}",
                        field="hypothesis.family")
    columns = hyp.get("columns") or []
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, (list, tuple)) or not all(isinstance(c, str) and c for c in columns):
        raise CardError("hypothesis.columns must be a list of column names, e.g. ['column_a']",
                        field="hypothesis.columns")
    known = set(case.columns) | {case.id, case.timestamp} if case is not None else None
    if known is not None:
        for c in columns:
            if c not in known:
                raise CardError(f"hypothesis.columns: unknown column {c!r}; columns: {', '.join(case.columns)}",
                                field="hypothesis.columns")
    segment = hyp.get("segment") or None
    if segment is not None:
        if not isinstance(segment, dict) or not all(isinstance(k, str) for k in segment):
            raise CardError("hypothesis.segment must be a dict like {'column': 'value'}", field="hypothesis.segment")
        if known is not None:
            for c in segment:
                if c not in known:
                    raise CardError(f"hypothesis.segment: unknown column {c!r}; columns: {', '.join(case.columns)}",
                                    field="hypothesis.segment")
        segment = {k: (v if isinstance(v, (int, float)) else str(v)) for k, v in segment.items()}
    onset = hyp.get("onset") or None
    if onset is not None:
        try:
            onset = str(pd.Timestamp(onset).date())
        except (TypeError, ValueError):
            raise CardError(f"hypothesis.onset must be a date like 2026-01-15, got {onset!r}",
                            field="hypothesis.onset") from None
    for key in TEXT_KEYS:
        v = card[key]
        if not isinstance(v, str) or not v.strip():
            raise CardError(f"{key} must be a non-empty text", field=key)
    exp = card["experiment"]
    if isinstance(exp, str):
        if not exp.strip():
            raise CardError("experiment must be a dict like {'type': 'segment_metrics', 'column': ...} or a text",
                            field="experiment")
    elif isinstance(exp, dict):
        try:
            etype, params = normalise(exp, case=case)
        except ExperimentError as e:
            raise CardError(f"experiment: {e}", field="experiment") from None
        exp = {"type": etype, **params}
    else:
        raise CardError("experiment must be a dict like {'type': 'segment_metrics', 'column': ...} or a text",
                        field="experiment")
    return {"hypothesis": {"family": family, "columns": list(columns), "segment": segment, "onset": onset},
            **{k: card[k].strip() for k in ("evidence",)}, "experiment": exp,
            **{k: card[k].strip() for k in ("expected_if_true", "expected_if_false", "decision")}}


def commit_card(card, folder=".", *, case=None) -> dict:
    """Store ``card`` in ``folder`` with a UTC timestamp; the first card committed there is never replaced.

    The first commit writes ``first_experiment.json``; every commit (the first included) is appended
    to ``first_experiment_history.jsonl``. Returns the record stored now:
    ``{"committed_at", "card", "first"}``, where ``first`` tells whether it became the first card.

    A refused card raises ``CardError`` and is kept as the folder's draft (``save_draft``), so the
    answer is never lost.
    """
    folder = Path(folder)
    try:
        raw = card
        card = check_card(card, case=case)
    except CardError as e:
        if folder.is_dir():
            save_draft(raw, folder, refused=e)
        raise
    if not folder.is_dir():
        raise CardError(f"no folder {folder} to commit the card into: pass the candidate folder")
    record = {"committed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "card": card}
    text = json.dumps(record, indent=2) + "\n"
    target = folder / CARD_FILE
    fd, tmp = tempfile.mkstemp(prefix=f".{CARD_FILE}.", dir=folder)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        try:
            os.link(tmp, target)  # atomic, and fails if a first card already exists
            first = True
        except FileExistsError:
            first = False
    finally:
        Path(tmp).unlink(missing_ok=True)
    with open(folder / HISTORY_FILE, "a") as fh:
        fh.write(json.dumps({**record, "first": first}) + "\n")
    from . import service  # the session service keeps the first card by its own clock (when configured)
    remote = service.record_card(card)
    return {**record, "first": first, **({"service": remote} if remote else {})}


def committed_card(folder=".") -> dict | None:
    """The first committed card in ``folder`` as ``{"committed_at", "card"}``, or None if none is."""
    path = Path(folder) / CARD_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise CardError(f"{path} is not valid JSON; it was edited by hand: restore it from "
                        f"{HISTORY_FILE}") from None
    return {"committed_at": record["committed_at"], "card": record["card"]}


def save_draft(card, folder=".", *, refused: CardError | None = None, source: str = "notebook") -> dict | None:
    """Keep ``card`` as the folder's draft (``first_experiment_draft.json``), replacing the last one.

    The draft is the card as written (not normalised), with when it was saved, where it came from
    (``"notebook"`` or ``"form"``) and, when a commit refused it, why and which field to change:
    ``{"saved_at", "source", "card", "refused", "field"}``. An unfilled card is not saved (it would
    replace a real draft with nothing). Returns the record, or None when nothing was saved.
    """
    if not filled(card):
        return None
    folder = Path(folder)
    record = {"saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "source": source,
              "card": json.loads(json.dumps(card, default=str)),
              "refused": str(refused) if refused is not None else None,
              "field": getattr(refused, "field", None)}
    try:
        _write_atomic(folder / DRAFT_FILE, json.dumps(record, indent=2) + "\n")
    except OSError:
        return None  # a read-only folder: the notebook still holds the card
    return record


def draft_card(folder=".") -> dict | None:
    """The folder's draft record (``save_draft``), or None when there is none or it is unreadable."""
    try:
        record = json.loads((Path(folder) / DRAFT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("card"), (dict, str)) else None


def filled(card) -> bool:
    """Whether anything is written on ``card`` (a family, an experiment, any text)."""
    if isinstance(card, str):
        return bool(card.strip())
    if not isinstance(card, dict) or not card:
        return False
    hyp = card.get("hypothesis") or {}
    exp = card.get("experiment")
    texts = [card.get(k) for k in TEXT_KEYS]
    return bool((isinstance(hyp, dict) and (hyp.get("family") or hyp.get("columns")))
                or (isinstance(hyp, str) and hyp.strip())
                or (isinstance(exp, dict) and exp.get("type")) or (isinstance(exp, str) and exp.strip())
                or any(isinstance(v, str) and v.strip() for v in texts))


def missing(card, *, case=None) -> list[str]:
    """What the card still needs, one short phrase per field (empty when it is complete).

    Every empty field is listed at once; a filled field that is wrong gives the check's message.
    """
    if not isinstance(card, dict):
        try:
            check_card(card, case=case)
        except CardError as e:
            return [str(e)]
    gaps = []
    hyp = card.get("hypothesis") if isinstance(card.get("hypothesis"), dict) else {}
    if not hyp.get("family"):
        gaps.append("hypothesis.family (the kind of failure you suspect)")
    if not filled({"experiment": card.get("experiment")}):
        gaps.append("experiment (one from the catalogue, or a text)")
    for key in TEXT_KEYS:
        v = card.get(key)
        if not (isinstance(v, str) and v.strip()):
            gaps.append(key.replace("_", " ") if key != "evidence" else "evidence (what you saw)")
    if gaps:
        return gaps
    try:
        check_card(card, case=case)
    except CardError as e:
        return [str(e)]
    return []


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def card_history(folder=".") -> list[dict]:
    """Every commit in ``folder``, oldest first."""
    path = Path(folder) / HISTORY_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def card_to_python(card: dict) -> str:
    """The card as the equivalent ``FIRST_EXPERIMENT = {...}`` cell."""
    return "FIRST_EXPERIMENT = " + json.dumps(card, indent=4).replace(": null", ": None") \
        .replace(": true", ": True").replace(": false", ": False")


# ------------------------------------------------------------------------------ widget form
def card_form(case=None, *, card: dict | None = None, folder=None):
    """An ipywidgets form producing exactly the same dict as the plain ``FIRST_EXPERIMENT`` form.

    ``form.value`` is the card; ``card`` pre-fills it. The form has the one **Commit** button:
    clicking it commits the card into ``folder`` (the case's folder by default) and says so beside
    the button; a refused card gets a visible error there naming the field to change, and is kept
    as the draft. Every edit keeps the card as the draft too (``save_draft``), so a card filled in
    the form is never lost, committed or not. ``form.commit()`` does what the button does.
    """
    import html as _html

    import ipywidgets as w
    where = Path(folder) if folder is not None else (getattr(case, "folder", None) or None)
    cols = list(case.columns) if case is not None else []
    lay = w.Layout(width="720px")
    text = lambda desc, ph: w.Textarea(description=desc, placeholder=ph, layout=w.Layout(width="720px", height="64px"),  # noqa: E731
                                       style={"description_width": "150px"})
    wide = {"description_width": "150px"}
    family = w.Dropdown(options=[("— choose —", "")] + [(f"{f['name']}: {f['help']}" if f["help"] else f["name"],
                                                         f["name"]) for f in families(case)],
                        description="family", layout=lay, style=wide)
    columns = w.SelectMultiple(options=cols, description="columns", rows=min(8, max(len(cols), 2)),
                               layout=w.Layout(width="420px"), style=wide)
    seg_col = w.Dropdown(options=[("—", "")] + [(c, c) for c in cols], description="segment column",
                         style=wide, layout=w.Layout(width="420px"))
    seg_val = w.Combobox(description="segment value", placeholder="a level, or a range as the slice explorer shows it",
                         style=wide, layout=w.Layout(width="520px"), ensure_option=False)

    def segment_levels(change=None):
        col = seg_col.value
        if not col or case is None:
            seg_val.options = ()
        elif col in case.categorical:
            seg_val.options = tuple(str(v) for v in case.offline[col].cat.categories)
        else:
            from .explorers import segments
            seg_val.options = tuple(dict.fromkeys(segments(case, col)[0]))
    seg_col.observe(segment_levels, names="value")
    onset = w.Text(description="onset (date)", placeholder="YYYY-MM-DD, if a change has a date", style=wide,
                   layout=w.Layout(width="420px"))
    evidence = text("evidence", "What you saw that points to this hypothesis")
    etype = w.Dropdown(options=[("— choose —", "")] + [(t, t) for t in EXPERIMENT_TYPES] + [("free text", "__text__")],
                       description="experiment", layout=lay, style=wide)
    e_cols = w.SelectMultiple(options=cols, description="its columns", rows=min(6, max(len(cols), 2)),
                              layout=w.Layout(width="420px"), style=wide)
    e_params = w.Text(description="other parameters", placeholder="key=value, key=value (e.g. onset=2026-01-15)",
                      layout=lay, style=wide)
    e_text = text("free-text experiment", "Only if no catalogue experiment fits")
    if_true = text("expected if true", "What the experiment shows if your hypothesis is right (with a number)")
    if_false = text("expected if false", "What it shows if your hypothesis is wrong")
    decision = text("decision", "What you do in each case")
    preview = w.HTML()
    commit_button = w.Button(description="Commit this card", button_style="primary", icon="check",
                             tooltip="Commit the card: the first card you commit is the one that counts",
                             layout=w.Layout(width="200px"))
    status = w.HTML(layout=w.Layout(margin="0 0 0 12px"))

    form = _form_class()([w.HTML("<b>Hypothesis</b>"), family, columns, seg_col, seg_val, onset, evidence,
                          w.HTML("<b>Experiment</b>"), etype, e_cols, e_params, e_text,
                          w.HTML("<b>Expectations and decision</b>"), if_true, if_false, decision, preview,
                          w.HBox([commit_button, status])])

    def experiment_value():
        t = etype.value
        if t == "__text__":
            return e_text.value
        if not t:
            return {"type": ""}
        exp = {"type": t}
        spec = _param_spec(t)
        picked = list(e_cols.value)
        if picked:
            if "columns" in spec:
                exp["columns"] = picked
            elif "column" in spec:
                exp["column"] = picked[0]
        for part in [p for p in e_params.value.replace(";", ",").split(",") if p.strip()]:
            k, _, v = part.partition("=")
            v = v.strip()
            try:
                v = float(v) if v.replace(".", "", 1).isdigit() else v
            except ValueError:
                pass
            exp[k.strip()] = v
        return exp

    def value():
        seg = {seg_col.value: _auto(seg_val.value.strip())} if seg_col.value and seg_val.value.strip() else None
        return {"hypothesis": {"family": family.value, "columns": list(columns.value), "segment": seg,
                               "onset": onset.value.strip() or None},
                "evidence": evidence.value, "experiment": experiment_value(),
                "expected_if_true": if_true.value, "expected_if_false": if_false.value, "decision": decision.value}

    loading = []

    def set_value(c: dict):
        loading.append(True)
        try:
            _fill(c)
        finally:
            loading.pop()
        refresh()

    def _fill(c: dict):
        h = c.get("hypothesis") or {}
        family.value = h.get("family") or ""
        columns.value = tuple(x for x in (h.get("columns") or []) if x in cols)
        seg = h.get("segment") or {}
        if seg:
            k, v = next(iter(seg.items()))
            seg_col.value = k if k in cols else ""
            seg_val.value = str(v)
        onset.value = h.get("onset") or ""
        evidence.value = c.get("evidence", "")
        exp = c.get("experiment")
        if isinstance(exp, str):
            etype.value, e_text.value = "__text__", exp
        elif isinstance(exp, dict) and exp.get("type") in EXPERIMENT_TYPES:
            etype.value = exp["type"]
            picked = exp.get("columns") or ([exp["column"]] if exp.get("column") else [])
            e_cols.value = tuple(x for x in picked if x in cols)
            e_params.value = ", ".join(f"{k}={v}" for k, v in exp.items() if k not in ("type", "column", "columns"))
        if_true.value = c.get("expected_if_true", "")
        if_false.value = c.get("expected_if_false", "")
        decision.value = c.get("decision", "")

    def refresh(_=None):
        if loading:
            return
        current = value()
        gaps = missing(current, case=case)
        preview.value = (f"<span style='color:#555'>Still to fill in: {_html.escape('; '.join(gaps))}</span>" if gaps
                         else "<span style='color:#0072B2'>The card is complete.</span>")
        if where is not None and filled(current):
            save_draft(current, where, source="form")

    def show(kind: str, text: str):
        colour = {"ok": "#009E73", "error": "#D55E00"}[kind]
        status.value = f"<span style='color:{colour};font-weight:bold'>{_html.escape(text)}</span>"

    def commit(_=None):
        """Commit the form's card; the outcome is shown beside the button and returned."""
        if where is None:
            show("error", "Not committed: this form has no candidate folder to commit into.")
            return None
        try:
            record = commit_card(value(), where, case=case)
        except CardError as e:
            save_draft(value(), where, refused=e, source="form")
            _highlight(e.field)
            show("error", f"Not committed: {e}. Change {e.field or 'the card'} and click again; "
                          "your card is kept as a draft meanwhile.")
            return None
        _highlight(None)
        if record["first"]:
            show("ok", f"Committed at {record['committed_at']} (UTC). This is your first card: it is the one that counts.")
        else:
            first = committed_card(where)
            show("ok", f"Saved to the history at {record['committed_at']} (UTC). Your first card, committed at "
                       f"{first['committed_at']}, stays the one that counts.")
        return record

    field_widgets = {"hypothesis.family": family, "hypothesis.columns": columns, "hypothesis.segment": seg_col,
                     "hypothesis.onset": onset, "evidence": evidence, "experiment": etype,
                     "expected_if_true": if_true, "expected_if_false": if_false, "decision": decision}

    def _highlight(name):
        for key, widget in field_widgets.items():
            widget.layout.border = "2px solid #D55E00" if key == name else None

    commit_button.on_click(commit)
    for c in (family, columns, seg_col, seg_val, onset, evidence, etype, e_cols, e_params, e_text,
              if_true, if_false, decision):
        c.observe(refresh, names="value")
    form.get_value = value
    form.set_value = set_value
    form.commit = commit
    form.commit_button = commit_button
    form.status = status
    form.fields = {"family": family, "columns": columns, "segment_column": seg_col, "segment_value": seg_val,
                   "onset": onset, "evidence": evidence, "experiment_type": etype, "experiment_columns": e_cols,
                   "experiment_params": e_params, "experiment_text": e_text, "expected_if_true": if_true,
                   "expected_if_false": if_false, "decision": decision}
    if card:
        set_value(card)
    refresh()
    return form


_FORM_CLASS = []


def _form_class():
    """A VBox whose ``value`` is the card (created on first use, so importing needs no ipywidgets)."""
    if not _FORM_CLASS:
        import ipywidgets as w

        class CardForm(w.VBox):
            """The first-experiment card as a form; ``value`` is the same dict as ``FIRST_EXPERIMENT``."""

            @property
            def value(self) -> dict:
                return self.get_value()

            @value.setter
            def value(self, card: dict) -> None:
                self.set_value(card)

            def to_python(self) -> str:
                return card_to_python(self.get_value())
        _FORM_CLASS.append(CardForm)
    return _FORM_CLASS[0]


def _param_spec(etype: str) -> dict:
    from .experiments import PARAMS
    return PARAMS.get(etype, {})


def _auto(v: str):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v
