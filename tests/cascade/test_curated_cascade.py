"""The curated cascade as data: the stages DESIGN.md names, in its contexts, with derivations and references."""

from __future__ import annotations

import numpy as np

from metastasim.cascade import load_cascade
from metastasim.models import CONTEXTS, PHENOTYPES, load_model


def test_curated_cascade_matches_the_design():
    spec, model = load_cascade(), load_model()
    spec.check(model)
    assert spec.phenotypes == PHENOTYPES
    spont, exp = spec.modes["spontaneous"], spec.modes["experimental"]
    assert spont.stages[:3] == ("invasion", "intravasation", "circulation")
    assert exp.stages[0] == "circulation" and spont.stages[2:] == exp.stages
    assert exp.stages[-1] == "macrometastasis"
    context = {name: s.context for name, s in spec.stages.items()}
    assert context["invasion"] == "primary" and context["circulation"] == "circulation"
    assert context["dormancy"] == "dormant_niche" and context["macrometastasis"] == "colonization"
    assert set(context.values()) <= set(CONTEXTS)
    assert spont.prepare.context == "primary" and exp.prepare.context == "normoxia"


def test_every_stage_and_alteration_says_where_it_comes_from():
    spec = load_cascade()
    for stage in spec.stages.values():
        assert stage.description and len(stage.derivation) > 80, stage.name
        assert stage.duration > 0 and stage.cases[-1].when is None
    for alt in spec.alterations:
        assert alt.description and alt.references and 0 < alt.frequency < 0.5, alt.id
    nodes = {a.node for a in spec.alterations}
    assert {"MYC", "DDIT3", "XBP1", "MAPK1"} <= nodes  # the examples


def test_viable_only_finds_exactly_the_metastatic_cells_of_a_full_run():
    """Skipping cells whose pass draws doom them must not change which cells form a metastasis."""
    from metastasim.cascade import run_cascade
    from metastasim.network.perturbations import Inhibit, Knockout

    spec, model = load_cascade(), load_model()
    cases = [
        ("experimental", 30_000, (), (), None),
        ("experimental", 30_000, (Knockout("DDIT3"),), (Inhibit("MTOR", 0.5),), "dormancy"),
        ("spontaneous", 40_000, (), (), None),
    ]
    for mode, cells, whole, treatment, start in cases:
        last = spec.mode(mode).stages[-1]
        kw = dict(
            mode=mode,
            cells=cells,
            seed=7,
            perturbations=whole,
            treatment=treatment,
            treatment_from=start,
            keep_survivors=[last],
        )
        full = run_cascade(model, spec, **kw)
        fast = run_cascade(model, spec, viable_only=True, chunk_size=997, **kw)
        assert full.metastatic > 0 or mode == "spontaneous"
        assert np.array_equal(np.sort(full.survivors[last]), np.sort(fast.survivors[last]))
        assert fast.efficiency == full.efficiency
        assert fast.simulated < 0.05 * cells  # the point of it
        # stopping early: the cells through a stage are those of the full run too
        mid = run_cascade(
            model,
            spec,
            viable_only=True,
            until="dormancy",
            keep_survivors=["dormancy"],
            **{k: v for k, v in kw.items() if k != "keep_survivors"},
        )
        assert mid.stage("dormancy").passed == full.stage("dormancy").passed
