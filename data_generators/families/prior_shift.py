"""Prior (label) shift: the share of positives rises in production; what positives look like does not.

What is planted
---------------
Production rows are drawn so that P(y) rises from the offline prevalence ``p0`` to ``p1`` with
``logit(p1) = logit(p0) + strength`` (default +1.0: 0.20 -> 0.40), while P(x|y) stays exactly the
offline one: a pool of rows is drawn from the offline world (same inputs, same labelling law) and
positives and negatives are kept in the new proportions. No column is the cause; every input
drifts a little, in proportion to how much it separates the classes.

Symptom
-------
The team's scores stay far below what production turns out to be: on matured production rows the
observed positive rate is well above the mean score (catalogue: mean score 0.28 vs true rate
0.50), the predicted-positive rate barely moves while recall falls. Ranking (AUC) is nearly
unchanged. ``symptom`` = observed positive rate - mean model score on labelled production rows.

Reference experiment
--------------------
Re-estimate the prior from the matured production labels and prior-correct every score,
``s' = s a / (s a + (1 - s) b)`` with ``a = p1/p0`` and ``b = (1-p1)/(1-p0)`` (``p0`` the training
rate): the corrected scores match the observed rate, so a change of the class prior alone explains
the gap. ``reference`` returns |observed rate - mean corrected score|. Retraining without any decoy
column leaves the gap. (A label-free estimate of ``p1``, the EM procedure of Saerens, Latinne &
Decaestecker 2002, lands near it too but inherits the boosted model's calibration error.)
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from ..evaluation import evaluate
from ..registry import register_family
from .base import Family, Measure, ReferenceExperiment


def prior_correct(score, p0: float, p1: float) -> np.ndarray:
    """Bayes prior correction of probabilities calibrated at prevalence ``p0`` to prevalence ``p1``."""
    s = np.clip(np.asarray(score, float), 1e-9, 1 - 1e-9)
    a, b = p1 / p0, (1 - p1) / (1 - p0)
    return s * a / (s * a + (1 - s) * b)


@register_family
class PriorShift(Family):
    name = "prior_shift"
    kind = "shift"
    help = "the positive rate changed, P(x|y) unchanged"
    # the reference card's expected results ({cols}, {onset}, {segment} from the truth) and decision
    expected = (
        "reweighting for the new positive rate brings scores and rates back in line",
        "reweighting for the prior leaves the gap",
    )
    decision = (
        "If true, correct for the new prior and reset the threshold; if false, look for concept drift."
    )
    symptoms = (
        "Since launch more {entity}s turn out positive than the scores announce.",
    )
    hints = (
        'Compare the share of positive outcomes offline with the share the scores imply in production.',
        "Estimate production's positive rate from the scores alone and correct the scores for it: does the gap between scores and outcomes close?",
    )
    expert = (
        ("reweight_for_prior",
         "if only the positive rate moved, correcting the scores for the new rate brings them back in line with outcomes"),
        ("recalibrate",
         "scores fall short of the observed rate everywhere when the prior rose"),
    )
    outcomes = {"reweight_for_prior": "gap_closes", "recalibrate": "miscalibrated:mildly"}
    strength = 1.0  # rise of the log-odds of the prior
    strength_response = 1  # measured: tests/engine/test_effect_control.py
    measure = Measure(label="observed positive rate - mean score (labelled production rows)", effect=0.163, minimum=0.05)
    reference_experiment = ReferenceExperiment(
        label="prior-correct the scores to the production prior; |observed rate - mean corrected score|", resolve_fraction=0.3)

    def choose(self, world):
        self.culprit_keys = []

    def inputs(self, world):
        world.calibrate_intercept()  # the offline labelling law, needed to label the pool
        p0 = world.prevalence["offline"]
        p1 = float(expit(logit(p0) + self.strength))
        world.prevalence["production"] = p1
        n = world.n["production"]
        # The same draws from the world's generator whatever the strength (the builder's effect
        # control plants a seed again with another strength, variant.control_effect): one uniform
        # per production row, which is positive when its uniform is below p1 (so the count of
        # positives is Binomial(n, p1)), and a seed for the pool's own stream.
        u = world.rng.random(n)
        pool_rng = np.random.default_rng(int(world.rng.integers(2**63)))
        positive = u < p1
        n_pos = int(positive.sum())
        # Rows of the offline world (same inputs, same labelling law), drawn n at a time until both
        # classes have enough: the first positives and the first negatives drawn are kept.
        pool: dict[str, list] = {key: [] for key, col in world.columns.items() if not col.planted}
        labels, totals, draws, have_pos, have_neg = [], [], [], 0, 0
        while have_pos < n_pos or have_neg < n - n_pos:
            total = np.full(n, world.intercept)
            for key, col in world.columns.items():
                if col.planted:
                    continue
                if col.kind == "numeric":
                    v = pool_rng.standard_normal(n)
                    total += col.effect * v
                else:
                    w = np.asarray(col.spec.get("weights", [1.0] * len(col.levels)), float)
                    v = pool_rng.choice(len(w), size=n, p=w / w.sum())
                    total += col.effect[v]
                pool[key].append(v)
            r = pool_rng.random(n)
            y = r < expit(total)
            labels.append(y)
            totals.append(total)
            draws.append(r)
            have_pos, have_neg = have_pos + int(y.sum()), have_neg + int((~y).sum())
        y = np.concatenate(labels)
        pos, neg = np.flatnonzero(y)[:n_pos], np.flatnonzero(~y)[: n - n_pos]
        # Positive rows by ascending uniform take the pool's positives in order, negative rows by
        # descending uniform its negatives: a slightly higher p1 turns the few rows with a uniform
        # just above the old p1 positive and leaves every other row as it was.
        rows = np.empty(n, dtype=np.int64)
        by_u = np.argsort(u, kind="stable")
        rows[by_u[:n_pos]] = pos
        rows[by_u[n_pos:][::-1]] = neg
        for key, parts in pool.items():
            world.z["production"][key] = np.concatenate(parts)[rows]
        self.y_production = y[rows]
        # what each kept row's label was drawn from, so that labels() can follow an input that a
        # later stage moves (a drifting decoy column)
        self.pool_logit = np.concatenate(totals)[rows]
        self.pool_draw = np.concatenate(draws)[rows]
        self.pool_inputs = {key: world.z["production"][key].copy() for key in pool}

    def labels(self, world):
        """Pin the production labels drawn with the pool (the labelling law is the offline one).

        A decoy's inputs stage runs after this family's (a harmless drift moves one weak column's
        production inputs from a date on). Elsewhere the labels are drawn after it, from the moved
        inputs, so the drift leaves P(y|x) as it was; pinned to the pool's draw made before the
        move, the moved column would keep its old label law on new inputs: a change of P(y|x) the
        team's model pays for in its mean score, which prior correction cannot remove (measured:
        credit_default seed 104, 0.049 of a 0.149 gap left, 0.004 once the drifting column was
        dropped). So the rows whose inputs moved are labelled again with the same uniform draw on
        the log-odds of their moved inputs: every other row keeps its label.
        """
        z = world.z["production"]
        delta = np.zeros(self.y_production.size)
        for key, before in self.pool_inputs.items():
            now = z[key]
            if now is before or np.array_equal(now, before):
                continue
            col = world.columns[key]
            if col.kind == "numeric":
                delta += col.effect * (np.asarray(now, float) - before)
            else:
                delta += col.effect[np.asarray(now, int)] - col.effect[before]
        y = self.y_production
        if np.any(delta):
            y = self.pool_draw < expit(self.pool_logit + delta)
        self.pool_inputs = {}  # only needed once
        world.extra_logit["production"] = np.where(y, 1e4, -1e4)

    # -- measurement --------------------------------------------------------------------
    def symptom(self, ev):
        lab = ev.labelled
        return float(lab[ev.label].mean() - lab["score"].mean())

    def reference(self, variant):
        ev = evaluate(variant)
        s = variant.schema
        off = variant.offline
        p0 = float(off.loc[off[s["split"]] == "train", s["label"]].mean())
        lab = ev.labelled
        p1 = float(lab[ev.label].mean())
        corrected = prior_correct(lab["score"].to_numpy(), p0, p1)
        return abs(float(lab[ev.label].mean() - corrected.mean()))
