"""Structural tests of the covariate-shift family (credit_default scenario).

The variants are planted at the family's own strength (a 1.5 sd shift), without the builder's
effect control: these tests read the family's mechanism, not credit_default's effect target (0.11,
which the control meets with a smaller shift).
"""
import numpy as np

from data_generators.evaluation import evaluate, psi
from data_generators.families.covariate_shift import density_ratio, hump, weighted_auc
from data_generators.variant import build_world
from data_generators.scenario import load_scenario

from .planted import planted_variant

SEEDS = [0, 1, 2]
N = 4000


variant = planted_variant("credit_default", "covariate_shift", seeds=SEEDS, n=N, controlled=False)


def _rank_above_offline_median(v, col):
    off = v.offline[col].to_numpy(float)
    prod = v.production[col].to_numpy(float)
    return float(np.nanmean(prod > np.nanmedian(off)))


def test_does_only_the_culprit_move_far(variant):
    """Do ~93% of the culprit's production values lie above its offline median (a 1.5 sd move),
    with a PSI above 1, while untouched columns keep a PSI below 0.05?"""
    v = variant
    culprit = v.truth.culprits[0]
    assert _rank_above_offline_median(v, culprit) > 0.88
    assert psi(v.offline[culprit], v.production[culprit]) > 1.0
    decoy_cols = {c for d in v.truth.decoys for c in d["columns"]}
    others = [c for c in v.schema["features"]
              if c not in decoy_cols and c != culprit and v.columns[c]["type"] == "numeric"]
    for c in others:
        assert psi(v.offline[c], v.production[c]) < 0.05, c


def test_is_the_labelling_law_the_same_offline_and_online():
    """Is P(y|x) unchanged: does one fixed hump in the culprit, applied to both parts, give the
    extra log-odds each part carries?"""
    sc = load_scenario("credit_default")
    world, family, _ = build_world(sc, 0, family="covariate_shift", n_offline=N, n_production=N)
    key = family.key
    col = world.columns[key]
    for part in ("offline", "production"):
        z = world.z[part][key]
        expected = family.sign * family.params["amplitude"] * hump(z, family.width) - col.effect * z
        np.testing.assert_allclose(world.extra_logit[part], expected)


def test_does_the_true_risk_bend_where_production_lives(variant):
    """Online, is the default rate of the top quintile of the culprit below that of the middle
    quintile (the hump), while offline it rises from the bottom to the top quintile?"""
    v = variant
    culprit, y = v.truth.culprits[0], v.schema["label"]
    off = v.offline
    q = np.quantile(off[culprit], [0.2, 0.8])
    assert off.loc[off[culprit] >= q[1], y].mean() > off.loc[off[culprit] <= q[0], y].mean() + 0.05
    prod = v.production[v.production[y].notna()]
    pq = np.quantile(prod[culprit], [0.4, 0.6, 0.8])
    mid = prod.loc[(prod[culprit] >= pq[0]) & (prod[culprit] <= pq[1]), y].mean()
    top = prod.loc[prod[culprit] >= pq[2], y].mean()
    assert top < mid - 0.05


def test_is_the_gap_large_and_explained_by_the_culprits_density_ratio(variant):
    """Is offline AUC at least 0.15 above online AUC, and does weighting the offline test rows by
    the culprit's density ratio land within 0.05 of the online AUC?"""
    v = variant
    ev = evaluate(v)
    gap = ev.offline_auc - ev.online_auc
    assert gap > 0.15
    test = ev.offline_test
    culprit = v.truth.culprits[0]
    w = density_ratio(test[culprit], v.production[culprit])
    assert abs(weighted_auc(test[ev.label], test["score"], w) - ev.online_auc) < 0.05
    assert ev.offline_auc >= 0.70
