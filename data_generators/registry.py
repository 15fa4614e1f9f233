"""The registry: the one place that knows which failure families and decoy kinds exist.

Contract
--------
A **family** is a subclass of ``data_generators.families.base.Family`` decorated with
``@register_family`` in its own module. It declares, as class attributes, everything the rest of the
kit needs to know about it (nothing else keeps a table keyed by family names):

``name``
    the family's name, used everywhere (scenario YAML, truth, card, grader).
``kind``
    its group: one of ``KINDS`` (``leakage``, ``shift``, ``evaluation``; the control is ``control``).
    A pool must mix kinds; the grader gives half credit for a sibling of the same kind.
``help``
    one line for the card form (what the candidate means by choosing it; says nothing about any
    scenario).
``symptoms``
    candidate-visible sentences describing what stakeholders see, never the cause; a scenario's
    production note ends with the drawn family's first symptom sentence. A sentence several families
    share is written once in ``data_generators.families.base`` (``RANKS_WORSE_THAN_OFFLINE``, ...).
``expert``
    ``((experiment type, why), ...)``: the first experiments an experienced engineer would defend,
    first the reference one. Experiment types are the toolkit's catalogue (``livescreen.toolkit``).
``outcomes``
    ``{experiment type: outcome}``: what each catalogue experiment shows when this family is the
    cause (``{culprit}``, ``{segment}`` stand for the truth's); an experiment not listed shows its
    negative outcome. Documentation for the grader, checked against measurements.
``hints``
    the interviewer's hints 2 and 3 when this family is drawn (hint 1 is the scenario's, the same for
    every family): nudges toward the check that decides, never naming the cause; the console, the
    interviewer's guide and the scorecard read them through ``grading.rubric.Rubric.ladder``.
``expected``, ``decision``
    the reference card's expected results (if true, if false) and its conditional decision, with
    ``{cols}``, ``{onset}``, ``{segment}`` filled from the truth (the grader's answer key).
``added_column``
    an ``AddedColumn`` (its key in the world and the display names one is drawn from) when the
    family plants its failure in a column of its own, added with ``Family.add_column``; when
    another family of the pool is drawn, the family's ``placeholder`` hook adds the same column
    without signal, so the column list never tells which family was drawn.
``measure``, ``reference_experiment``
    what the validator measures and how it checks it, declared once each (see
    ``data_generators.families.base``): a ``Measure`` (what ``symptom`` returns, the default target
    effect, the findability floor) and a ``ReferenceExperiment`` (what ``reference`` runs, the share
    of the symptom it may leave).

In ``choose`` a family names the columns it acts through (``culprit_keys``) and, when its
mechanism also runs through columns it does not blame, reserves them (``reserved_keys``: group
leakage's per-entity fingerprint), so that no decoy moving values is planted there.

A **decoy kind** is a subclass of ``Decoy`` decorated with ``@register_decoy``: ``kind``, ``help``
and ``rival`` (the family a candidate chasing it would suspect), and ``moves_values`` (False for a
decoy that changes no column's values, which may then sit on a reserved column).

Built-ins are the modules of ``data_generators/families`` and ``data_generators/decoys``.
**Plug-ins** declare entry points in the groups ``livescreen.families`` and ``livescreen.decoys``
(``name = "module"`` or ``"module:Class"``); loading the entry point imports the module, whose
decorator registers the class. A name already taken is refused with one line (``ScenarioError``).
Everything else derives from ``families()``, ``decoys()`` and ``family_names()``: the scenario schema,
``FAMILIES``, ``DECOY_KINDS``, the card vocabulary in ``schema.json``, the grader's rivals and answers
and the manual rubric's example check.
"""
from __future__ import annotations

import pkgutil
from importlib import import_module
from importlib.metadata import entry_points

from .errors import ScenarioError

KINDS = ("leakage", "shift", "evaluation", "control")
NO_FAILURE = "no_failure"
FAMILY_GROUP = "livescreen.families"
DECOY_GROUP = "livescreen.decoys"

_FAMILIES: dict[str, type] = {}
_DECOYS: dict[str, type] = {}
_loaded = False
_loading = False


def _check_family(cls) -> None:
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise ScenarioError(f"family class {cls.__name__}: name must be a lower-case identifier, got {name!r}")
    if getattr(cls, "kind", None) not in KINDS:
        raise ScenarioError(f"family {name}: kind must be one of {', '.join(KINDS)}, got {getattr(cls, 'kind', None)!r}")
    if not getattr(cls, "help", ""):
        raise ScenarioError(f"family {name}: needs a one-line help text for the card form")
    if not getattr(cls, "symptoms", ()):
        raise ScenarioError(f"family {name}: needs at least one symptom sentence")
    if not getattr(cls, "expert", ()):
        raise ScenarioError(f"family {name}: needs at least one expert first experiment (type, why)")


def register_family(cls):
    """Class decorator: add a family to the registry (refuses a name already taken)."""
    _check_family(cls)
    old = _FAMILIES.get(cls.name)
    if old is not None and old is not cls:
        if (old.__module__, old.__qualname__) == (cls.__module__, cls.__qualname__):
            _FAMILIES[cls.name] = cls  # the same module imported again (reload): keep the newest
            return cls
        raise ScenarioError(f"family name {cls.name!r} of {cls.__module__} is already registered by "
                            f"{old.__module__}; rename one of them")
    _FAMILIES[cls.name] = cls
    return cls


def register_decoy(cls):
    """Class decorator: add a decoy kind to the registry (refuses a kind already taken)."""
    kind = getattr(cls, "kind", "")
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ScenarioError(f"decoy class {cls.__name__}: kind must be a lower-case identifier, got {kind!r}")
    if not getattr(cls, "help", ""):
        raise ScenarioError(f"decoy {kind}: needs a one-line help text")
    old = _DECOYS.get(kind)
    if old is not None and old is not cls:
        if (old.__module__, old.__qualname__) == (cls.__module__, cls.__qualname__):
            _DECOYS[kind] = cls
            return cls
        raise ScenarioError(f"decoy kind {kind!r} of {cls.__module__} is already registered by "
                            f"{old.__module__}; rename one of them")
    _DECOYS[kind] = cls
    return cls


def _import_package(package: str) -> None:
    pkg = import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name not in ("base",) and not info.name.startswith("_"):
            import_module(f"{package}.{info.name}")


def _load_group(group: str, registered: dict) -> None:
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        try:
            obj = ep.load()
        except ScenarioError:
            raise
        except Exception as exc:  # a broken plug-in must say which one, in one line
            raise ScenarioError(f"plug-in {ep.name!r} ({group} = {ep.value}) failed to load: "
                                f"{type(exc).__name__}: {exc}") from None
        if isinstance(obj, type) and obj not in registered.values():
            (register_family if group == FAMILY_GROUP else register_decoy)(obj)


def load() -> None:
    """Import the built-in families and decoys, then the plug-ins' entry points (once)."""
    global _loaded, _loading
    if _loaded or _loading:
        return
    _loading = True
    try:
        _import_package("data_generators.families")
        _import_package("data_generators.decoys")
        _load_group(FAMILY_GROUP, _FAMILIES)
        _load_group(DECOY_GROUP, _DECOYS)
        _loaded = True
    finally:
        _loading = False


def families() -> dict[str, type]:
    """Every registered family (the control included), grouped by kind (leakage, shift, evaluation,
    then the control), alphabetical within a kind."""
    load()
    return dict(sorted(_FAMILIES.items(), key=lambda kv: (KINDS.index(kv[1].kind), kv[0])))


def decoys() -> dict[str, type]:
    """Every registered decoy kind, alphabetical (the same order whichever module was imported first)."""
    load()
    return dict(sorted(_DECOYS.items()))


def family_names(*, control: bool = False) -> tuple[str, ...]:
    """The failure families a card can name; with ``control=True`` also ``no_failure``."""
    return tuple(n for n, c in families().items() if control or c.kind != "control")


def get_family(name: str):
    """The class of a family, or one line naming the known ones."""
    fams = families()
    if name not in fams:
        raise ScenarioError(f"unknown family {name!r}; allowed: {', '.join(fams)}")
    return fams[name]


def get_decoy(kind: str):
    dec = decoys()
    if kind not in dec:
        raise ScenarioError(f"unknown decoy kind {kind!r}; allowed: {', '.join(dec)}")
    return dec[kind]


def kind_of(name: str) -> str | None:
    cls = families().get(name)
    return cls.kind if cls else None


def card_vocabulary() -> list[dict]:
    """What ``schema.json`` offers the card form: every family and the control, name and help.

    The same for every scenario and seed (never the scenario's pool).
    """
    fams = families()
    out = [{"name": n, "help": c.help} for n, c in fams.items() if c.kind != "control"]
    out += [{"name": n, "help": c.help} for n, c in fams.items() if c.kind == "control"]
    return out
