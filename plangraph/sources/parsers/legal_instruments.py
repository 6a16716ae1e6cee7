"""The laws, agreements and policies the plans cite: one table per plan, one shape.

Each entry says what the instrument is (key, kind, title, date, the catalog agreement it is)
and how a plan's text names it (``cited_as``). Cambodia's NPA prints each full title in its
list of legal instruments: its parser takes the first line that prints it as the span and the
steps whose text matches ``cited_as`` as citing it. The COMMIT plan only names them in passing:
every text of it that matches ``cited_as`` is a span, and each step among them cites it.

The keys make the instruments' URIs (``id/instrument/{key}``), so they are never changed: two
plans that cite one instrument keep their own keys for it (``commit-mou`` and
``commit-mou-2004``, ``palermo-protocol`` and ``un-tip-protocol``), as the built dataset has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plangraph.sources.model import LegalInstrument, SourceSpan


@dataclass(frozen=True)
class KnownInstrument:
    """A law, sub-decree, agreement or policy a plan cites, and how its text names it."""

    key: str  # stable slug: the instrument's URI
    kind: str  # "law", "sub-decree", "mou", "convention", "policy", ...
    title: str  # its full title; where the plan prints it, exactly as printed
    date: str | None = None  # ISO date or year, as far as the sources give it
    same_as_agreement: str | None = None  # agreement slug in catalog.yaml when it is the same
    cited_as: str | None = None  # a regular expression: how a text of the plan names it

    def cited_in(self, text: str) -> bool:
        """Whether ``text`` names the instrument (never, without ``cited_as``)."""
        return self.cited_as is not None and re.search(self.cited_as, text) is not None

    def record(self, spans: list[SourceSpan]) -> LegalInstrument:
        """The plan's record of the instrument, read from ``spans``."""
        return LegalInstrument(
            key=self.key,
            title=self.title,
            kind=self.kind,
            spans=spans,
            date=self.date,
            same_as_agreement=self.same_as_agreement,
        )


# Cambodia's National Plan of Action 2011-2013 (layout khm-npa)
KHM_NPA: tuple[KnownInstrument, ...] = (
    KnownInstrument(
        key="law-stsls-2008",
        kind="law",
        title="Law on Suppression of Human Trafficking and Sexual Exploitation",
        date="2008",
        cited_as=r"Law on (?:the )?Suppression of Human Trafficking(?: and Sexual Exploitation)?\b",
    ),
    KnownInstrument(
        key="law-domestic-violence-2005",
        kind="law",
        title="Law on Prevention of Domestic Violence and Protection of Victims",
        date="2005",
    ),
    KnownInstrument(
        key="sub-decree-183-2008",
        kind="sub-decree",
        title=(
            "Sub-decree No. 183 ANK Kr. BK on Formalities and Procedures for Marriages "
            "between Khmer Nationals and Foreigners"
        ),
        date="2008-11-03",
        cited_as=r"Sub-decree (?:No\. )?183\b",
    ),
    KnownInstrument(
        key="sub-decree-190",
        kind="sub-decree",
        title=(
            "Sub-decree 190 on Management of the Sending of Khmer Workers to Work Abroad "
            "through Private Recruitment Agencies"
        ),
        cited_as=(
            r"Sub-decree (?:No\. )?190\b"
            r"|Sub-decree on the Management of Sending of Khmer Workers"
        ),
    ),
    KnownInstrument(
        key="sub-decree-162-2009",
        kind="sub-decree",
        title=(
            "Sub-decree No.162 on Establishment of the National Committee to Lead the "
            "Suppression of Human Trafficking, Smuggling, Labour Exploitation and Sexual "
            "Exploitation in Women and Children (S.T.S.L.S.)"
        ),
        date="2009-09-25",
    ),
    KnownInstrument(
        key="khm-tha-mou-2003",
        kind="mou",
        title=(
            "Memorandum of Understanding between the Royal Government of the Kingdom of "
            "Cambodia and the Royal Government of the Kingdom of Thailand on Bilateral "
            "Cooperation for Eliminating Trafficking in Children and Women and Assisting "
            "Victims of Trafficking"
        ),
        date="2003-05-31",
        cited_as="Cambodia-Thailand MOU on Bilateral Cooperation for Eliminating Trafficking",
    ),
    KnownInstrument(
        key="khm-tha-labour-memorandum-2003",
        kind="mou",
        title="Memorandum on Cooperation on the Use of Labour Force",
        date="2003-05-31",
    ),
    KnownInstrument(
        key="khm-tha-mou-employment",
        kind="mou",
        title=(
            "MOU between the Kingdom of Cambodia and the Kingdom of Thailand on Cooperation "
            "in the Employment of Workers"
        ),
        cited_as=(
            "(?:Cambodia-Thailand MOU|Kingdom of Thailand) on Cooperation in the Employment "
            "of Workers"
        ),
    ),
    KnownInstrument(
        key="commit-mou-2004",
        kind="mou",
        title=(
            "Memorandum of Understanding on Cooperation against Trafficking in Persons in the "
            "Greater Mekong Sub-Region"
        ),
        date="2004-10-29",
        same_as_agreement="commit-mou-2004",
    ),
    KnownInstrument(
        key="asean-mla-treaty-2004",
        kind="treaty",
        title="Treaty on Mutual Legal Assistance in Criminal Matters among ASEAN Countries",
        date="2004-11-29",
        cited_as="ASEAN Treaty on Mutual Legal Assistance",
    ),
    KnownInstrument(
        key="khm-vnm-agreement-2005",
        kind="agreement",
        title=(
            "Agreement between the Royal Government of the Kingdom of Cambodia and the "
            "Government of the Socialist Republic of Vietnam on Bilateral Cooperation for "
            "Eliminating Trafficking in Women and Children and Assisting Victims of "
            "Trafficking"
        ),
        date="2005-10-10",
        cited_as="Cambodia-Vietnam Agreement|bilateral agreement between Cambodia and Vietnam",
    ),
    KnownInstrument(
        key="khm-vnm-agreement-2007",
        kind="agreement",
        title=(
            "Agreement on Cooperation on Protection and Prevention of Cambodia-Vietnam "
            "Cross-Border Crime of Trafficking in Persons, Especially in Women and Children"
        ),
        date="2007-10-23",
    ),
    KnownInstrument(
        key="khm-vnm-work-plan-2010",
        kind="agreement",
        title=(
            "Joint Agreement on the 5-Year Work Plan on Combating Trafficking in Persons "
            "(2011-2015)"
        ),
        date="2010-08-12",
    ),
    KnownInstrument(
        key="un-tip-protocol",
        kind="protocol",
        title=(
            "United Nations Protocol to Prevent, Suppress and Punish Trafficking in Persons, "
            "Especially Women and Children"
        ),
    ),
    KnownInstrument(
        key="migrant-workers-convention",
        kind="convention",
        title=(
            "Convention on the Protection of the Rights of All Migrant Workers and Members of "
            "Their Families"
        ),
        cited_as="Convention on the Protection of the Rights of All Migrant Workers",
    ),
    KnownInstrument(
        key="decision-1150-2005",
        kind="decision",
        title=(
            "Decision No.1150 KKN on Establishment of Cambodia Task Force to Combat Human "
            "Trafficking in the Great Mekong Sub-Region"
        ),
        date="2005-07-20",
    ),
    KnownInstrument(
        key="mosvy-minimum-standards",
        kind="policy",
        title=(
            "Policy and Minimum Standards for Protection of the Rights of Victims of Human "
            "Trafficking"
        ),
        cited_as=(
            r"Policy and Minimum Standards|Minimum Standards for Protection of the Rights of "
            r"Victims|\bthe Minimum Standards\b"
        ),
    ),
    KnownInstrument(
        key="guidelines-cooperation-victim-support",
        kind="guidelines",
        title=(
            "Guidelines on Cooperation between Government Institutions and Victim Support "
            "Agencies in Cases of Human Trafficking and Sexual Exploitation"
        ),
        cited_as=(
            "Guidelines on Cooperation between (?:Government Institutions|the Government) and "
            "Victim Support Agencies"
        ),
    ),
)

# The COMMIT Sub-Regional Plan of Action 2005-2007 (layout commit-srpa)
COMMIT_SRPA: tuple[KnownInstrument, ...] = (
    KnownInstrument(
        key="commit-mou",
        kind="mou",
        title="COMMIT Memorandum of Understanding",
        date="2004-10-29",
        same_as_agreement="commit-mou-2004",
        cited_as="COMMIT (?:Memorandum of Understanding|MOU)",
    ),
    KnownInstrument(
        key="palermo-protocol",
        kind="protocol",
        title=(
            "Protocol to Prevent, Suppress and Punish Trafficking in Persons, Especially "
            "Women and Children"
        ),
        cited_as="Palermo Protocol|Protocol to Prevent, Suppress and Punish",
    ),
    KnownInstrument(
        key="untoc",
        kind="convention",
        title="United Nations Convention against Transnational Organized Crime",
        cited_as="(?:United Nations|UN) Convention against Transnational Organized Crime",
    ),
)
