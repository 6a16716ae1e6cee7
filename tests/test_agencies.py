"""The agency registry and the resolution of every mention in every plan."""

from __future__ import annotations

import pytest

from plangraph.errors import RegistryError
from plangraph.paths import ProjectPaths
from plangraph.sources.catalog import Catalog
from plangraph.sources.curation import Curations
from plangraph.sources.model import AgencyMention, SourceSpan
from plangraph.sources.parsers import parse_document
from plangraph.sources.registry import Registry, load_registry


def _mention(text: str, party: str | None = None) -> AgencyMention:
    return AgencyMention(text=text, span=SourceSpan("doc", 7, 7), party=party)


def test_every_mention_of_every_plan_resolves(
    catalog: Catalog, curations: Curations, registry: Registry
) -> None:
    """Lists every mention (document, line, text as printed, party) with what it resolves to,
    and fails on any that does not resolve to exactly one registry entry."""
    listing: list[tuple[str, int, str, str | None, str]] = []
    unresolved = []
    for doc in catalog.documents:
        plan = parse_document(doc, curations)
        for m in plan.mentions():
            try:
                key = registry.resolve(m, doc.path)
            except RegistryError as exc:
                unresolved.append(str(exc))
                continue
            assert key.startswith("party/") or key in registry.agencies, key
            listing.append((doc.slug, m.span.start_line, m.text, m.party, key))
    assert unresolved == []
    per_document = {slug for slug, *_ in listing}
    assert per_document == {d.slug for d in catalog.documents}  # every plan names agencies
    assert len(listing) >= 990  # 994 mentions in the five plans
    assert len({text for _, _, text, _, _ in listing}) >= 140  # 145 distinct printed forms


def test_same_body_in_two_plans_is_one_entry(registry: Registry) -> None:
    # NCCT as the China plan writes it, and as the registry's short form
    assert registry.resolve(_mention("NCCT Cambodia"), "f") == registry.resolve(
        _mention("NCCT"), "f"
    )
    assert registry.resolve(_mention("Ministry of Social Affairs"), "f") == "khm/mosvy"


def test_country_qualified_names_stay_apart(registry: Registry) -> None:
    assert registry.resolve(_mention("Ministry of Public Security of China"), "f") == "chn/mps"
    assert registry.resolve(_mention("Ministry of Public Security", "vnm"), "f") == "vnm/mps"


def test_catch_all_resolves_by_party_never_to_a_real_agency(registry: Registry) -> None:
    vn = registry.resolve(_mention("competent authorities concerned", "vnm"), "f")
    kh = registry.resolve(_mention("competent authorities concerned", "khm"), "f")
    assert (vn, kh) == ("vnm/competent-authorities", "khm/competent-authorities")
    assert registry.agencies[vn].kind == registry.agencies[kh].kind == "unspecified-group"
    with pytest.raises(RegistryError, match="ambiguous"):
        registry.resolve(_mention("competent authorities concerned"), "f")


def test_party_relative_alias(registry: Registry) -> None:
    assert registry.resolve(_mention("The two parties", "chn"), "f") == "party/chn"


def test_unknown_mention_names_file_and_line(registry: Registry) -> None:
    with pytest.raises(RegistryError) as err:
        registry.resolve(_mention("Ministry of Magic", "khm"), "plan.txt")
    assert (err.value.file, err.value.line) == ("plan.txt", 7)
    assert str(err.value).startswith("plan.txt:7: unknown agency 'Ministry of Magic'")


def test_hierarchy_parents_exist_and_have_no_cycles(registry: Registry) -> None:
    for key, entry in registry.agencies.items():
        chain = registry.ancestors(key)
        assert key not in chain
        if entry.parent:
            assert chain[0] == entry.parent
    assert registry.ancestors("khm/gcnp-ahtjp") == ["khm/gcnp", "khm/moi"]


def test_duplicate_alias_within_a_party_is_refused(project_copy: ProjectPaths) -> None:
    text = project_copy.agencies.read_text(encoding="utf-8")
    text = text.replace("aliases: [MoWA]", "aliases: [MoWA, MoSVY]")
    project_copy.agencies.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(project_copy.agencies)
    assert "mosvy" in str(err.value) and err.value.line is not None
    # named at the second occurrence: the line the alias was added to
    assert "aliases: [MoWA, MoSVY]" in text.splitlines()[err.value.line - 1]


def test_party_relative_alias_not_a_string_is_refused_at_its_line(
    project_copy: ProjectPaths,
) -> None:
    text = project_copy.agencies.read_text(encoding="utf-8")
    text = text.replace("  - The two parties\n", "  - The two parties\n  - [3]\n", 1)
    project_copy.agencies.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError, match="is not a string") as err:
        load_registry(project_copy.agencies)
    assert text.splitlines()[err.value.line - 1] == "  - [3]"


def test_unknown_parent_is_refused(project_copy: ProjectPaths) -> None:
    text = project_copy.agencies.read_text(encoding="utf-8")
    text = text.replace("parent: khm/gcnp\n", "parent: khm/nowhere\n", 1)
    project_copy.agencies.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError, match="unknown parent 'khm/nowhere'"):
        load_registry(project_copy.agencies)
