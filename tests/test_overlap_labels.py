"""tests/data/overlaps/kinds.yaml, the labelled yardstick for overlap detection, checked against
the built graph: every step it names exists, every kind spans plans, the dev/test split follows
the rule written in the file's header, and the hard negatives are pairs no kind joins."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml

from plangraph.paths import ProjectPaths
from plangraph.store.embedded import EmbeddedStore
from tests.server_process import dataset_folder

HERE = Path(__file__).parent / "data" / "overlaps"
SPLITS = ("dev", "test")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

Pair = tuple[str, str]


@pytest.fixture(scope="module")
def labels() -> dict:
    return yaml.safe_load((HERE / "kinds.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def steps(paths: ProjectPaths) -> dict[str, dict[str, str]]:
    """Every pg:Step of the built graph by its label id: {"plan": slug, "parent": id or absent}."""
    store = EmbeddedStore.from_folder(dataset_folder() or paths.graph)
    found: dict[str, dict[str, str]] = {}
    for row in store.select((HERE / "steps.rq").read_text(encoding="utf-8")):
        step_id = f"{row['plan']}/{row['number']}"
        assert step_id not in found, f"two steps are named {step_id}"
        found[step_id] = {"plan": row["plan"]}
        if "parentNumber" in row:
            found[step_id]["parent"] = f"{row['plan']}/{row['parentNumber']}"
    return found


def members(kind: dict) -> list[str]:
    return [m["id"] for m in kind["members"]]


def cross_plan_pairs(kind: dict, steps: dict[str, dict[str, str]]) -> set[Pair]:
    ids = sorted(set(members(kind)))
    return {
        (a, b) for a, b in itertools.combinations(ids, 2) if steps[a]["plan"] != steps[b]["plan"]
    }


def test_the_file_holds_30_to_50_kinds_and_20_negatives(labels: dict) -> None:
    kinds = labels["kinds"]
    assert 30 <= len(kinds) <= 50
    assert len(labels["negatives"]) >= 20
    ids = [k["id"] for k in kinds]
    assert len(set(ids)) == len(ids), "kind ids must be unique"
    for kind in kinds:
        assert SLUG.match(kind["id"]), kind["id"]
        assert kind["label"].strip() and kind["definition"].strip(), kind["id"]
        assert kind["members"], kind["id"]
        for member in kind["members"]:
            assert set(member) <= {"id", "reason"}, (kind["id"], member)
            assert isinstance(member.get("reason", ""), str), (kind["id"], member)


def test_every_member_and_negative_is_a_step_of_the_graph(
    labels: dict, steps: dict[str, dict[str, str]]
) -> None:
    assert steps, "the built graph has no steps"
    named = {m for kind in labels["kinds"] for m in members(kind)}
    named |= {n[end] for n in labels["negatives"] for end in ("a", "b")}
    unknown = sorted(named - steps.keys())
    assert not unknown, f"not a pg:Step of the built graph: {unknown}"


def test_no_kind_lists_a_step_twice(labels: dict) -> None:
    for kind in labels["kinds"]:
        ids = members(kind)
        assert len(set(ids)) == len(ids), kind["id"]


def test_every_kind_has_members_of_two_plans_and_is_not_a_step_and_its_parent(
    labels: dict, steps: dict[str, dict[str, str]]
) -> None:
    for kind in labels["kinds"]:
        ids = set(members(kind))
        plans = {steps[m]["plan"] for m in ids}
        assert len(plans) >= 2, f"{kind['id']} lives in one plan: {sorted(plans)}"
        if len(ids) == 2:
            a, b = sorted(ids)
            assert steps[a].get("parent") != b and steps[b].get("parent") != a, kind["id"]


def test_kinds_are_split_by_the_rule_in_the_header(labels: dict) -> None:
    kinds = labels["kinds"]
    assert {k["split"] for k in kinds} == set(SPLITS), "both splits must be non-empty"
    order = sorted(k["id"] for k in kinds)
    for kind in kinds:
        assert kind["split"] == SPLITS[order.index(kind["id"]) % 2], kind["id"]


def test_no_pair_of_steps_is_labelled_in_both_splits(
    labels: dict, steps: dict[str, dict[str, str]]
) -> None:
    by_split: dict[str, set[Pair]] = {s: set() for s in SPLITS}
    for kind in labels["kinds"]:
        by_split[kind["split"]] |= cross_plan_pairs(kind, steps)
    assert by_split["dev"] and by_split["test"]
    assert not by_split["dev"] & by_split["test"]


def test_negatives_are_cross_plan_pairs_that_no_kind_joins(
    labels: dict, steps: dict[str, dict[str, str]]
) -> None:
    together = {
        pair
        for kind in labels["kinds"]
        for pair in itertools.combinations(sorted(set(members(kind))), 2)
    }
    seen: set[Pair] = set()
    for n in labels["negatives"]:
        pair = tuple(sorted((n["a"], n["b"])))
        assert steps[n["a"]]["plan"] != steps[n["b"]]["plan"], pair
        assert n["reason"].strip(), pair
        assert pair not in together, f"a kind holds both steps of negative {pair}"
        assert pair not in seen, f"negative {pair} listed twice"
        seen.add(pair)


def test_negatives_take_the_split_of_their_kind_or_alternate(labels: dict) -> None:
    split_of = {k["id"]: k["split"] for k in labels["kinds"]}
    alone = 0
    for n in labels["negatives"]:
        if "near" in n:
            assert n["near"] in split_of, n["near"]
            assert n["split"] == split_of[n["near"]], (n["a"], n["b"])
        else:
            assert n["split"] == SPLITS[alone % 2], (n["a"], n["b"])
            alone += 1
    assert {n["split"] for n in labels["negatives"]} == set(SPLITS)
