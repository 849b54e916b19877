"""Screens of the curated model: known anti-metastatic targets ahead of an inert control; arms; invariance."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from scipy import stats

from metastasim.cascade import load_cascade
from metastasim.errors import ModelError, UnknownNameError
from metastasim.models import load_drugs, load_model
from metastasim.network.expr import parse_rule
from metastasim.network.model import Node
from metastasim.network.perturbations import ForceOn, Knockout
from metastasim.screen import CONTROL, ScreenParams, dose_series, gene_nodes, pairs, run_screen, singles
from metastasim.screen.run import _with_members
from metastasim.validation import load_facts

PARAMS = ScreenParams(modes=("experimental",), cells=300_000, contexts=("normoxia",), samples=400, seed=3)


def _anti_metastatic_knockouts() -> list[str]:
    """Genes whose knock-out lowers metastasis in the experimental cascade, by the curated facts.

    Only those the model agrees with.
    """
    out = []
    for f in load_facts():
        p = f.perturbation
        if (
            f.level == "cascade"
            and f.mode == "experimental"
            and f.expected == "down"
            and not f.known_failure
            and f.baseline == type(f.baseline)()
            and len(p.ko) == 1
            and not (p.oe or p.drugs)
        ):
            out.append(p.ko[0])
    return list(dict.fromkeys(out))


def test_known_anti_metastatic_targets_rank_ahead_of_an_inert_control():
    model = load_model().copy()
    # a gene product that reads MYC but that nothing reads: no path to any phenotype
    model.add_node(Node("Inert", parse_rule("MYC"), symbol="INERT1"))
    known = _anti_metastatic_knockouts()
    assert len(known) >= 4
    # 1,000,000 cells (about 200 metastatic control cells): the weakest known effect, ATF6 loss
    # (about -0.75 log2, through dormant-cell survival), is then significant with ~99% power;
    # at 300,000 cells it was only ~70%.
    result = run_screen(
        model, load_cascade(), singles(model, load_drugs(), [*known, "Inert"]), replace(PARAMS, cells=1_000_000)
    )
    ranking = result.ranking()
    inert = ranking.loc["KO(Inert)"]
    assert abs(inert["experimental_lfc"]) < 0.3
    # The inert arm is one of the arms compared with the control: "no effect" is judged at the
    # Bonferroni level for all of them (six here: |z| < 2.64, z from the reported 95% interval),
    # so that the family of checks, not each one, has a 5% false-alarm rate.
    arms = len(known) + 1
    se = (inert["experimental_lfc_high"] - inert["experimental_lfc_low"]) / (2 * stats.norm.ppf(0.975))
    assert abs(inert["experimental_lfc"] / se) < stats.norm.ppf(1 - 0.05 / (2 * arms))
    assert inert["normal_lfc_low"] <= 0 <= inert["normal_lfc_high"]
    for gene in known:
        row = ranking.loc[f"KO({model.resolve(gene)})"]
        assert row["rank"] < inert["rank"], gene
        assert row["experimental_lfc_high"] < 0, gene  # significantly fewer metastases


def test_selectivity_ranks_a_target_that_kills_normal_cells_below_one_that_spares_them():
    model, drugs = load_model(), load_drugs()
    # KO(GLS) and KO(EIF2AK3) both cut metastases; only GLS loss also stops normal cells in normoxia
    # (PERK is idle in unstressed cells)
    ranking = run_screen(model, load_cascade(), singles(model, drugs, ["GLS", "EIF2AK3"]), PARAMS).ranking()
    gls, perk = ranking.loc["KO(GLS)"], ranking.loc["KO(EIF2AK3)"]
    assert gls["prevented"] > perk["prevented"] > 0
    assert gls["spared"] < 0.2 < 0.9 < perk["spared"]
    assert list(ranking.index) == ["KO(EIF2AK3)", "KO(GLS)"]


def test_numbers_do_not_depend_on_threads_or_on_which_arms_share_the_screen():
    model, drugs, spec = load_model(), load_drugs(), load_cascade()
    arms = singles(model, drugs, ["ATF4", "telaglenastat"])
    alone = run_screen(model, spec, arms[:1], PARAMS, threads=1)
    together = run_screen(model, spec, arms, PARAMS, threads=2)
    key = arms[0].key
    assert alone.table().loc[key].equals(together.table().loc[key])


def test_arm_sets():
    model, drugs = load_model(), load_drugs()
    genes = gene_nodes(model)
    assert "MYC" in genes and "Oxygen" not in genes and "Apoptosis" not in genes and "Glutamine" not in genes
    every = singles(model, drugs, "all", overexpression=True)
    assert len(every) == 2 * len(genes) + len(drugs)
    assert {a.kind for a in every} == {"knockout", "overexpression", "drug"}
    assert len({a.key for a in every}) == len(every)
    both = singles(model, drugs, ["MYC"], overexpression=True)
    assert [a.key for a in pairs(model, both)] == []  # KO and OE of one gene cannot be given together
    assert singles(model, drugs, ["cb-839"])[0].key == "telaglenastat"  # aliases, any case
    assert singles(model, drugs, ["XBP1"])[0].perturbations == (Knockout("XBP1"),)
    series = dose_series(model, drugs, ["GLS", "telaglenastat"], [0, 0.5, 1, 0.5])
    assert [a.key for a in series] == ["inhibit(GLS)@0.5", "inhibit(GLS)@1", "telaglenastat@0.5", "telaglenastat"]
    assert series[1].perturbations[0].efficacy == 1.0 and series[0].target == "GLS"
    oe = singles(model, drugs, ["HMOX1"], overexpression=True)[1]
    assert oe.perturbations == (ForceOn("HMOX1"),)
    with pytest.raises(UnknownNameError, match="neither a node of the model nor a drug.*MYCN|MYC"):
        singles(model, drugs, ["MYCC"])
    with pytest.raises(ModelError, match="input"):
        singles(model, drugs, ["Oxygen"])
    with pytest.raises(ModelError, match="listed twice"):
        singles(model, drugs, ["MYC", "MYC"])
    for bad in ([1.5], [float("nan")], ["x"], [-0.1]):
        with pytest.raises(ModelError, match="dose"):
            dose_series(model, drugs, ["GLS"], bad)
    with pytest.raises(ModelError, match="needs its single arms"):
        _with_members([CONTROL, *pairs(model, singles(model, drugs, ["MYC", "GLS"]))])


def test_dose_series_of_a_screen_gives_a_monotone_response_and_an_ic50():
    model, drugs = load_model(), load_drugs()
    arms = dose_series(model, drugs, ["telaglenastat"], [0, 0.15, 0.3, 0.6, 1])
    result = run_screen(model, load_cascade(), arms, PARAMS)
    curve = result.dose_response()
    assert list(curve["dose"]) == [0, 0.15, 0.3, 0.6, 1]
    assert curve["ratio"].iloc[0] == 1 and curve["ratio"].iloc[-1] < 0.1
    assert curve["ratio"].is_monotonic_decreasing
    fit = result.ic50().loc["telaglenastat"]
    # the fitted IC50 lies between the doses on either side of the half response
    above = curve.loc[curve["ratio"] > 0.5, "dose"].max()
    below = curve.loc[curve["ratio"] < 0.5, "dose"].min()
    assert above < below and above <= fit["ic50"] <= below
    assert not fit["ic50_below"] and not math.isnan(fit["hill"])


def test_params_are_checked():
    for bad in (dict(cells=0), dict(samples=-1), dict(seed=-1), dict(modes=()), dict(duration=float("nan"))):
        with pytest.raises(ModelError):
            ScreenParams(**bad)
    with pytest.raises(ModelError, match="mode"):
        ScreenParams(modes=("metastatic",)).check(load_model(), load_cascade())
    with pytest.raises(UnknownNameError):
        ScreenParams(contexts=("lung",)).check(load_model(), load_cascade())


def test_efficiency_cis_are_exact_binomial_intervals():
    from scipy import stats

    model, drugs = load_model(), load_drugs()
    table = run_screen(model, load_cascade(), singles(model, drugs, ["ATF4"]), PARAMS).table()
    for _, row in table.iterrows():
        k, n = row["experimental_metastatic"], PARAMS.cells
        assert row["experimental_efficiency"] == k / n
        assert row["experimental_efficiency_low"] == pytest.approx(stats.beta.ppf(0.025, k, n - k + 1))
        assert row["experimental_efficiency_high"] == pytest.approx(stats.beta.ppf(0.975, k + 1, n - k))


def test_what_identifies_a_run():
    from dataclasses import replace

    from metastasim.screen.evaluate import run_key

    model, spec = load_model(), load_cascade()
    a = ScreenParams(contexts=("hypoxia", "normoxia")).check(model, spec)
    b = ScreenParams(contexts=("normoxia", "hypoxia")).check(model, spec)
    assert a.contexts == b.contexts and run_key(a, model, spec) == run_key(b, model, spec)
    other = model.copy()
    other.settings = replace(other.settings, discrete_time=True)
    assert run_key(a, other, spec) != run_key(a, model, spec)
    assert run_key(replace(a, seed=2), model, spec) != run_key(a, model, spec)
    close = dose_series(model, load_drugs(), ["GLS"], [0.1234567, 0.1234571])
    assert len({arm.key for arm in close}) == 2


def test_a_stored_arm_with_other_perturbations_is_not_reused(tmp_path):
    from metastasim.errors import StoreError
    from metastasim.screen import Arm, ResultStore
    from metastasim.screen.evaluate import run_key

    model, spec, drugs = load_model(), load_cascade(), load_drugs()
    params = PARAMS.check(model, spec)
    with ResultStore(tmp_path / "s.sqlite") as store:
        run = store.run(
            run_key(params, model, spec),
            params.to_dict(),
            model="metastasim",
            model_hash=model.hash(),
            cascade_hash=spec.hash(),
        )
        store.add(run, Arm("KO(ATF4)", "knockout", (Knockout("MYC"),), target="ATF4"), {"modes": {}}, 0.0)
        with pytest.raises(StoreError, match="other perturbations"):
            run_screen(model, spec, singles(model, drugs, ["ATF4"]), params, store=store)


def test_viable_only_runs_refuse_the_tables_that_need_every_cell():
    from metastasim.cascade import run_cascade
    from metastasim.errors import SimulationError

    result = run_cascade(load_model(), load_cascade(), cells=2000, seed=1, viable_only=True)
    assert result.simulated < 2000 and result.efficiency == result.metastatic / 2000
    for table in (result.stage_table, result.enrichment, result.to_dict, result.phenotype_table):
        with pytest.raises(SimulationError, match="viable_only"):
            table()
    with pytest.raises(SimulationError, match="viable_only"):
        run_cascade(load_model(), load_cascade(), cells=2000, seed=1, viable_only=True, keep_survivors=["dormancy"])
