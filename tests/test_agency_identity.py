"""Agency identity across the five plans: the same body is one registry entry (one URI) under
every name the sources give it; bodies that differ stay apart even when their names are alike;
catch-all mentions stay unspecified groups; leadership and history cite lines that say so.

That every mention of every plan resolves is tested in tests/test_agencies.py
(``test_every_mention_of_every_plan_resolves``). The pairs and groups below are written from
the sources (the raw mention forms are those of tests/golden/*.json).
"""

from __future__ import annotations

import re

import pytest

from plangraph import ids
from plangraph.sources.catalog import Catalog
from plangraph.sources.curation import Curations
from plangraph.sources.model import AgencyMention, SourceSpan
from plangraph.sources.parsers import parse_document
from plangraph.sources.registry import Registry

Form = tuple[str, str | None]  # (mention text as printed, party the context gives)


def resolve(registry: Registry, form: Form) -> str:
    text, party = form
    return registry.resolve(AgencyMention(text, SourceSpan("doc", 1, 1), party), "test")


# Two forms from the sources that name different bodies, and the entry each must resolve to.
DISTINCT: list[tuple[Form, str, Form, str]] = [
    # country-qualified names: China's ministry is not Viet Nam's
    (("Ministry of Public Security of China", "chn"), "chn/mps"),
    (("Ministry of Public Security", "vnm"), "vnm/mps"),
    # the 2011 plan's national committee and the NCCT of 2017/2023 (a link, not one body)
    (
        (
            "National Committee to Lead the Suppression of Human Trafficking, Smuggling, Labour "
            "Exploitation and Sexual Exploitation of Women and Children (S.T.S.L.S.)",
            "khm",
        ),
        "khm/nc-stsls",
    ),
    (("NCCT", "khm"), "khm/ncct"),
    # the COMMIT Task Force of each country
    (("COMMIT Task Force", "khm"), "khm/commit-task-force"),
    (("COMMIT Task Force", "tha"), "tha/commit-task-force"),
    (("COMMIT Task Force", "vnm"), "vnm/commit-task-force"),
    (("COMMIT Task Forces", "chn"), "chn/commit-task-force"),
    (("COMMIT Task Force", "lao"), "lao/commit-task-force"),
    (("COMMIT Task Force", "mmr"), "mmr/commit-task-force"),
    # a general department and its department
    (("MoI (GDI)", "khm"), "khm/gdi"),
    (
        ("General Department of Immigration (Department of Border Gate)", "khm"),
        "khm/gdi-border-gate",
    ),
    # ministry, national police, and the police department
    (("MoI", "khm"), "khm/moi"),
    (("GCNP", "khm"), "khm/gcnp"),
    (("GCNP", "khm"), "khm/gcnp"),
    (
        (
            "Department of Anti-human Trafficking and Juvenile Protection of General Commiserate "
            "of National Police of Ministry of Interior",
            "khm",
        ),
        "khm/gcnp-ahtjp",
    ),
    # MoSVY and its two departments (the 2020 plan's and the 2023 minutes')
    (("MoSVY", "khm"), "khm/mosvy"),
    (
        (
            "Ministry of Social Affairs, Veteran and Youth Rehabilitation (Department of "
            "Anti-human trafficking and Victim Reintegration)",
            "khm",
        ),
        "khm/mosvy-dahtvr",
    ),
    (
        (
            "Department of Victim Protect of Ministry of Social Affairs, Veterans and Youth "
            "Rehabilitation",
            "khm",
        ),
        "khm/mosvy-victim-protection",
    ),
    (("MoSVY", "khm"), "khm/mosvy"),
    # the protection working groups of two different committees
    (("Protection Working Group", "khm"), "khm/stsls-protection-wg"),
    (("Protection Working Group of NCCT Cambodia", "khm"), "khm/ncct-protection-wg"),
    # the secretariats of the two committees, and the NCCT's two secretariat names
    (("Secretariat S.T.S.L.S.", "khm"), "khm/nc-stsls-secretariat"),
    (("SG/NCCT", "khm"), "khm/ncct-general-secretariat"),
    (("GS/NCCT", "khm"), "khm/ncct-general-secretariat"),
    (("Secretariat of National Committee for Counter Trafficking", "khm"), "khm/ncct-secretariat"),
    # the bodies merged in 2009 and the committee they formed
    (("National Task Force", "khm"), "khm/ntf"),
    (("NC/S.T.S.L.S.", "khm"), "khm/nc-stsls"),
    (("HLWG", "khm"), "khm/hlwg"),
    (("NTF", "khm"), "khm/ntf"),
    (("National Task Force", "khm"), "khm/ntf"),
    (("COMMIT Task Force", "khm"), "khm/commit-task-force"),
    # Viet Nam's criminal police department and the whole criminal police force
    (
        ("Ministry of Public Security (Police Department of Criminal Investigation)", "vnm"),
        "vnm/mps-criminal-police",
    ),
    (
        (
            "Ministry of Public Security (Central and local levels of Criminal Investigation "
            "Police force)",
            "vnm",
        ),
        "vnm/mps-criminal-police-force",
    ),
    # immigration bodies of three countries
    (("Ministry of Public Security (Immigration Department)", "vnm"), "vnm/mps-immigration"),
    (("Immigration Department", "khm"), "khm/gdi"),
    (("Immigration Bureau", "tha"), "tha/immigration-bureau"),
    (("MoI (GDI)", "khm"), "khm/gdi"),
    # the Attorney General's office and its department
    (("Office of Attorney General", "tha"), "tha/oag"),
    (("Department of Trafficking in Persons Litigations", "tha"), "tha/oag-dtipl"),
    # two Thai divisions with alike names (one a police division, one "DAT IP")
    (("Anti Trafficking in Persons Division", "tha"), "tha/atpd"),
    (("Division of Anti - Trafficking in Persons", "tha"), "tha/datip"),
    # "NCCT/DAT IP": the two parties' leads of the 2023 plan
    (("NCCT", "khm"), "khm/ncct"),
    (("DAT IP", "tha"), "tha/datip"),
    # the taskforce each party assigns under the China plan
    (("The two Taskforces", "chn"), "chn/assigned-taskforce"),
    (("The two Taskforces", "khm"), "khm/assigned-taskforce"),
    (("China Taskforce", None), "chn/assigned-taskforce"),
    (("COMMIT Task Forces", "chn"), "chn/commit-task-force"),
    # each country's ministry of labour
    (("Ministries of Labour", "khm"), "khm/molvt"),
    (("Ministries of Labour", "tha"), "tha/ministry-of-labour"),
    # catch-alls of two parties
    (("competent authorities concerned", "khm"), "khm/competent-authorities"),
    (("competent authorities concerned", "vnm"), "vnm/competent-authorities"),
    (("Focal officers", "khm"), "khm/focal-officers"),
    (("Focal officers", "chn"), "chn/focal-officers"),
    # IOM and its country missions
    (("IOM", None), "int/iom"),
    (("IOM Cambodia", None), "int/iom-cambodia"),
    (("IOM Cambodia", None), "int/iom-cambodia"),
    (("IOM Thailand", None), "int/iom-thailand"),
    # UNIAP and the COMMIT Secretariat it hosts
    (("UNIAP", None), "int/uniap"),
    (("COMMIT Secretariat (UNIAP)", None), "int/commit-secretariat"),
    # a working group and a team of the Secretariat with alike names
    (("Prevention Working Group", "khm"), "khm/stsls-prevention-wg"),
    (("Prevention Team", "khm"), "khm/stsls-prevention-team"),
    # the children's council and the NCCT
    (("CNCC", "khm"), "khm/cncc"),
    (("NCCT Cambodia", "khm"), "khm/ncct"),
    # police and gendarmerie
    (("Gendarmery", "khm"), "khm/gendarmerie"),
    (("GCNP", "khm"), "khm/gcnp"),
    # embassies and their ministry
    (("MoFAIC Embassy, consular", "khm"), "khm/embassies"),
    (("MoFAIC", "khm"), "khm/mofaic"),
    # unspecified groups of the 2023 minutes and the 2011 working groups with alike names
    (("Law enforcement group", None), "int/law-enforcement-group"),
    (("Law Enforcement Working Group", "khm"), "khm/stsls-law-enforcement-wg"),
    (("justice group", None), "int/justice-group"),
    (("Justice Working Group", "khm"), "khm/stsls-justice-wg"),
    # catch-alls that are not the same group
    (("relevant Ministries/institutions", "khm"), "khm/relevant-ministries"),
    (("other relevant Ministries", None), "int/other-relevant-ministries"),
    (("Development Partners", None), "int/development-partners"),
    (("donors", None), "int/donors"),
    # an unnamed "Taskforces" is not the assigned taskforce
    (("Taskforces", "khm"), "khm/taskforces"),
    (("The two Taskforces", "khm"), "khm/assigned-taskforce"),
]


def _pairs() -> list[tuple[Form, str, Form, str]]:
    it = iter(DISTINCT)
    return [(a[0], a[1], b[0], b[1]) for a, b in zip(it, it, strict=True)]


PAIRS = _pairs()

# Forms of one body: every form resolves to the one entry.
SAME: dict[str, list[Form]] = {
    "khm/moi": [
        ("MoI", "khm"),
        ("Mol", "khm"),  # OCR of "MoI" (khm-npa-2011-2013)
        ("Ministry of Interior", "khm"),
        ("Ministry of Interior Cambodia", "khm"),
    ],
    "khm/ncct": [
        ("NCCT", None),
        ("NCCT Cambodia", "khm"),
        ("National Committee for Counter Trafficking", "khm"),
        ("National Committee for Counter Trafficking in Persons", "khm"),
    ],
    "khm/mosvy": [
        ("MoSVY", "khm"),
        ("Mosvy", "khm"),
        ("MOSVY", "khm"),
        ("Ministry of Social Affairs", None),
        ("Ministry of Social Affairs, Veterans and Youth Rehabilitation", "khm"),
    ],
    "khm/moj": [("MoJ", "khm"), ("Moj", "khm"), ("MOJ", "khm"), ("Ministry of Justice", "khm")],
    "khm/molvt": [
        ("MoLVT", "khm"),
        ("Ministry of Labour and Vocational Training", "khm"),
        ("Ministries of Labour", "khm"),
    ],
    "khm/mofaic": [
        ("MoFAIC", "khm"),
        ("Ministry of Foreign Affairs and International Cooperation", "khm"),
    ],
    "khm/gcnp": [
        ("GCNP", "khm"),
        ("National Police of Cambodia, Ministry of Interior", "khm"),
        ("National Police of Ministry of Interior", "khm"),
    ],
    "khm/gcnp-ahtjp": [
        (
            "Anti-human trafficking and juvenile protection, Department of General Commissariat "
            "of National Police of Cambodia, Ministry of Interior",
            "khm",
        ),
        (
            "Department of Anti-human Trafficking and Juvenile Protection of General Commiserate "
            "of National Police of Ministry of Interior",
            "khm",
        ),
    ],
    "khm/gendarmerie": [
        ("Gendarmery", "khm"),
        ("National Royal Gendarmerie", "khm"),
        ("Royal Gendarmerie", "khm"),
    ],
    "khm/ncct-general-secretariat": [
        ("SG/NCCT", "khm"),
        ("GS/NCCT", "khm"),
        ("General Secretariat of National Committee for Counter Trafficking in Persons", "khm"),
    ],
    "khm/nc-stsls-secretariat": [
        ("Secretariat S.T.S.L.S", "khm"),
        ("Secretariat S.T.S.L.S.", "khm"),
        ("Secretariat of the National Committee S.T.S.L.S.", "khm"),
        ("Secretariat", "khm"),
    ],
    "khm/commit-task-force": [
        ("COMMIT Task Force", "khm"),  # vnm-khm, khm-npa and commit-srpa
        ("COMMIT Task Forces", "khm"),
    ],
    "khm/cncc": [("CNC", "khm"), ("CNCC", "khm"), ("CNCC.", "khm")],
    "khm/embassies": [("Embassies", None), ("MoFAIC Embassy, consular", "khm")],
    "chn/assigned-taskforce": [
        ("China Taskforce", None),
        ("Assigned Taskforce of China", "chn"),
        ("The two Taskforces", "chn"),
    ],
    "tha/datip": [
        ("DAT IP", "tha"),
        ("Division of Anti - Trafficking in Persons", "tha"),
    ],
    "tha/oag-dtipl": [
        ("Department of Trafficking in Persons Litigations", "tha"),
        ("Department of Trafficking in Persons Litigations, Office of Attorney General", "tha"),
    ],
    "int/donors": [("donors", None), ("Donor", None), ("international donors", None)],
}

# Printed catch-all forms (and the party the context gives): each resolves to an entry of
# kind unspecified-group, never to a real agency.
CATCH_ALLS: list[Form] = [
    ("competent authorities concerned", "khm"),
    ("competent authorities concerned", "vnm"),
    ("relevant Ministries/institutions", "khm"),
    ("Relevant Ministries/ organizations", "khm"),
    ("concerned Ministries and institutions", "khm"),
    ("concerned institutions", "khm"),
    ("relevant institutions", "khm"),
    ("other relevant Ministries", None),
    ("other relevant line Ministries", None),
    ("Implementing Agencies of both Parties", "khm"),
    ("Implementing Agencies of both Parties", "chn"),
    ("Specific Institution(s) of China", "chn"),
    ("Taskforces", "khm"),
    ("Taskforces", "chn"),
    ("Related Working Group of NCCT Cambodia", "khm"),
    ("development partners", None),
    ("partners", None),
    ("concerned partners", None),
    ("donors", None),
    ("international organizations", None),
    ("UN agencies", None),
    ("international NGOs", None),
    ("Law enforcement group", None),
    ("justice group", None),
    ("local authorities", "khm"),
    ("private sector", "khm"),
    ("local and international victim support agencies", "khm"),
    ("independent interpretation and translation agencies", None),
    ("implementing partners", None),
    # commit-srpa-2005-2007: kinds of body the COMMIT plan assigns work to
    ("international agencies", None),
    ("Regional Centre", None),
    ("Specialist Units", None),
    ("key police and law enforcement personnel", None),
    ("other relevant agencies", None),
    ("key international partners", None),
    ("key partners", None),
    ("partner organizations", None),
    ("Government and NGO partners in the receiving country", None),
    ("regional research organization or institute", None),
    ("technical working group", None),
    ("experts", None),
    ("key judicial personnel", None),
    ("embassies of countries from which sex tourists originate", None),
    ("functional agencies of relevant COMMIT countries", None),
    ("tourism sector", None),
    ("Government tourist authorities", None),
    ("external evaluator", None),
]

# Words that mark a catch-all name: a registry name with one of them must be a group entry.
_CATCH_ALL_WORDS = re.compile(
    r"\b(relevant|concerned|competent authorities|partners|donors|both parties|"
    r"specific institution|local authorities|private sector|UN agencies)\b",
    re.IGNORECASE,
)


def test_at_least_25_pairs_of_distinct_bodies() -> None:
    assert len(PAIRS) >= 25
    assert len({frozenset((a, b)) for _, a, _, b in PAIRS}) >= 25


@pytest.mark.parametrize(("form_a", "key_a", "form_b", "key_b"), PAIRS)
def test_distinct_bodies_have_distinct_uris(
    registry: Registry, form_a: Form, key_a: str, form_b: Form, key_b: str
) -> None:
    assert resolve(registry, form_a) == key_a
    assert resolve(registry, form_b) == key_b
    assert ids.agency(key_a) != ids.agency(key_b)


@pytest.mark.parametrize("key", sorted(SAME))
def test_forms_of_one_body_resolve_to_one_uri(registry: Registry, key: str) -> None:
    assert {form: resolve(registry, form) for form in SAME[key]} == dict.fromkeys(SAME[key], key)


@pytest.mark.parametrize("form", CATCH_ALLS)
def test_catch_all_mentions_are_unspecified_groups(registry: Registry, form: Form) -> None:
    key = resolve(registry, form)
    assert registry.agencies[key].kind == "unspecified-group", key


def test_no_real_agency_carries_a_catch_all_name(registry: Registry) -> None:
    offenders = [
        (a.id, name)
        for a in registry.agencies.values()
        if a.kind != "unspecified-group"
        for name in (a.name, *a.aliases)
        if _CATCH_ALL_WORDS.search(name)
    ]
    # The COMMIT Secretariat's note and the NTF's long name mention "Relevant Countries".
    assert offenders == [
        (
            "khm/ntf",
            "National Task Force to Implement Bilateral and Multilateral Agreements and Memoranda "
            "of Understanding between the Royal Government of Cambodia and other Relevant "
            "Countries for Eliminating Trafficking in Persons and Assisting Victims of Trafficking",
        )
    ]


def test_same_body_across_plans(catalog: Catalog, curations: Curations, registry: Registry) -> None:
    """The bodies the plans share are one entry each, whatever name each plan prints."""
    plans: dict[str, set[str]] = {}
    for doc in catalog.documents:
        for m in parse_document(doc, curations).mentions():
            plans.setdefault(registry.resolve(m, doc.path), set()).add(doc.slug)
    assert plans["khm/commit-task-force"] == {
        "vnm-khm-jpa-2020-2022",
        "khm-npa-2011-2013",
        "commit-srpa-2005-2007",
    }
    assert plans["khm/ncct"] == {"chn-khm-jpa-2017-2019", "khm-tha-meeting-2023-01"}
    assert plans["khm/moi"] == {
        "chn-khm-jpa-2017-2019",
        "khm-npa-2011-2013",
        "khm-tha-meeting-2023-01",
    }
    assert {"khm-npa-2011-2013", "khm-tha-meeting-2023-01"} <= plans["khm/mosvy"]
    assert plans["khm/molvt"] == {
        "commit-srpa-2005-2007",
        "khm-npa-2011-2013",
        "khm-tha-meeting-2023-01",
    }


def _lines(catalog: Catalog) -> dict[str, list[str]]:
    return {d.slug: d.path.read_text(encoding="utf-8").splitlines() for d in catalog.documents}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_leadership_and_history_quote_the_lines_they_cite(
    catalog: Catalog, registry: Registry
) -> None:
    lines = _lines(catalog)
    checked = 0
    for a in registry.agencies.values():
        facts = ([a.led_by] if a.led_by else []) + list(a.history)
        for fact in facts:
            text = []
            for ref in fact.sources:
                assert ref.document in lines, (a.id, ref)
                assert ref.end_line <= len(lines[ref.document]), (a.id, ref)
                text.append(_norm(" ".join(lines[ref.document][ref.start_line - 1 : ref.end_line])))
            if not getattr(fact, "stated", True):
                continue  # a curator's reading: its reason says what the lines do say
            assert fact.quote, f"{a.id}: every leadership and stated history fact quotes its lines"
            assert _norm(fact.quote) in " ".join(text), (a.id, fact.quote)
            checked += 1
    assert checked >= 20


def test_working_groups_are_led_by_the_ministries_the_2011_plan_names(registry: Registry) -> None:
    led = {a.id: a.led_by.agency for a in registry.agencies.values() if a.led_by}
    assert {k: v for k, v in led.items() if k.startswith("khm/stsls-")} == {
        "khm/stsls-prevention-wg": "khm/mowa",
        "khm/stsls-protection-wg": "khm/mosvy",
        "khm/stsls-law-enforcement-wg": "khm/gcnp",
        "khm/stsls-justice-wg": "khm/moj",
        "khm/stsls-international-cooperation-wg": "khm/mowa",
        "khm/stsls-child-affairs-wg": "khm/mosvy",
    }
    assert led["khm/commit-task-force"] == "khm/mowa"
    assert led["khm/ncct"] == led["khm/nc-stsls"] == "khm/moi"


def test_history_links(registry: Registry) -> None:
    links = {
        (a.id, h.relation, h.target, h.date, h.stated)
        for a in registry.agencies.values()
        for h in a.history
        if h.target is not None
    }
    assert links == {
        ("khm/ntf", "merged-into", "khm/nc-stsls", "2009", True),
        ("khm/hlwg", "merged-into", "khm/nc-stsls", "2009", True),
        # no source states it: recorded with its reason, without a date
        ("khm/nc-stsls", "replaced-by", "khm/ncct", None, False),
    }
    unstated = [h for a in registry.agencies.values() for h in a.history if not h.stated]
    assert all(h.reason and "No source" in h.reason for h in unstated)
