"""The curated cascade as data: the stages DESIGN.md names, in its contexts, with derivations and references."""

from __future__ import annotations

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
