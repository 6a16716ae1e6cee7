"""Action themes: the SKOS scheme (ontology/themes.ttl) and the classifier that tags steps.

The classifier is a list of phrases per theme (:data:`KEYWORDS`), drawn from the theme's label
and definition and from the words the five plans use for it. A phrase is a regular expression
on the lower-cased text; a tuple of expressions matches only when all of them occur (e.g.
*train* together with *police*). Before matching, a few phrases that would mislead are
blanked out (:data:`MASK`: "law enforcement" is not a law, "study tours" are not research).

For each step the classifier returns its themes *with the words that matched*, so every tag
can be explained:

1. its own text (``source="text"``);
2. if that finds nothing (short items such as "Review draft", "Drafted"), the themes its
   parent activity found in its own text (``source="parent"``), or else those of the
   activities it serves (``pg:serves``: a COMMIT work item and the activity of its project
   proposal concept; ``source="serves"``);
3. if that finds nothing either, the words of the title of the section it is listed under
   (``source="section"``);
4. then the reviewed corrections of ``data/curation/themes.yaml`` add or remove a theme
   (``source="curation"``, the reason kept), or declare a step unthemed with a reason.

Nothing here makes triples: :func:`tag_plans` returns plain records that
:mod:`plangraph.graph.mapping` maps to ``pg:theme``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Identifier

from plangraph.errors import CurationError
from plangraph.sources.model import Plan
from plangraph.sources.turtle import parse_turtle
from plangraph.sources.yamlfile import read_yaml

SCHEME = "https://w3id.org/plangraph/id/theme"
CURATION_FILE = "themes.yaml"

Phrase = str | tuple[str, ...]

# theme slug -> phrases (regular expressions on lower-cased text; a tuple = all must occur)
KEYWORDS: dict[str, tuple[Phrase, ...]] = {
    # -- prevention
    "awareness-raising": (
        r"awareness",
        r"\biec\b",
        r"information campaigns?",
        r"prevention campaigns?",
        r"educational spots?",
        r"broadcast",
        r"radio programs?",
        r"peer education",
        r"anti-human trafficking day",
        r"dissemination programs?",
        r"(prevention|awareness) materials?",
        r"messag(e|es|ing)\b",
        r"question and answer forums?",
        r"preventive tool packages?",
        r"disseminat\w* information",
        r"information packets?",
    ),
    "children-and-youth": (
        r"\bchild(ren)?(['’]s)?\b",
        r"\byouth\b",
        r"\bminors?\b",
        r"\bschools?\b",
        r"child labou?r",
    ),
    "livelihoods": (
        r"income[- ]generation",
        r"vocational",
        r"job placements?",
        r"rural credit",
        r"employment centres?",
        r"technical skills",
        r"earning a living",
        r"economic (and social )?support",
        r"market requirements",
        r"rural development",
        r"livelihoods?",
    ),
    "labour-migration": (
        r"labou?r migration",
        r"migrant workers?",
        r"recruitment (agenc|compan)\w*",
        r"\bbrok(er|ers|ering|erage)\b",
        r"pre-departure",
        r"employment of workers",
        r"workers (to work )?abroad",
        r"\bmigration\b",
        r"\bmigrants?\b",
        r"domestic workers",
        r"ministr(y|ies) of labou?r",
        r"labou?r and employment",
        r"labou?r information",
    ),
    "marriage-migration": (r"marriages?\b", r"\bmarried\b", r"singleness certificate"),
    "child-safe-tourism": (
        r"touris[mt]s?",
        r"travel industry",
        r"extraterritorial",
    ),
    "demand-and-violence": (
        r"\bdemand\b",
        r"pornography",
        r"\brape\b",
        r"sexual violence",
        r"violence against (women|children)",
        r"social and cultural norms",
        r"\bdrugs?\b",
    ),
    "community-prevention": (
        r"\bcommunit(y|ies)\b",
        r"\bvillages?\b",
        r"commune councils?",
        r"vulnerable (groups|communities|families|populations|individuals)",
    ),
    # -- protection
    "victim-identification": (
        r"identif\w*(\W+\w+){0,3}\W+victims?",
        r"victims?(\W+\w+){0,2}\W+identif\w*",
        r"identification form",
        r"interview form",
        r"\bscreen\b",
        r"verif(y|ying|ication)",
        r"categorize returnees",
        r"deportees",
    ),
    "repatriation-reintegration": (
        r"repatriat\w*",
        r"re-?integrat\w*",
        r"\breturn(ed|ees?|ing)?\b",
        r"family tracing",
        r"tracing of victims",
        r"[“\"]tracing[”\"] program",
        r"\bmissing\b",
        r"transit (and drop-in )?centre",
        r"deport\w*",
        r"post-harm",
    ),
    "shelters-and-services": (
        r"shelters?",
        r"care cent(re|er)s?",
        r"residential care",
        r"victim care",
        r"quality of care",
        r"services?( available)? (for|to) victims",
        r"victims? (with )?access to",
        r"medical",
        r"psycholog\w*",
        r"counsel\w*",
        r"social work\w*",
        r"legal aid",
        r"legal advice",
        r"\bhiv\b",
        r"minimum standards",
        r"victim support",
        r"support services",
        r"victim assistance",
        r"care and support",
        r"protection services",
        r"network of services",
        r"services guidelines",
        r"assistance for repatriated",
        r"social services",
    ),
    "hotlines-and-reporting": (
        r"hotlines?",
        r"complaints?",
        r"reporting systems",
        r"report suspected",
        r"contact methods",
    ),
    "victims-in-justice": (
        r"witness\w*",
        r"testimony",
        r"testify\w*",
        r"in-camera",
        r"compensation",
        r"interpretation",
        r"victim[- ]cent(er|re)d?",
        r"trauma[- ]informed",
        r"child-friendly judicial",
        r"identity of victims",
        r"protecting victims during",
        r"protection of victims",
    ),
    # -- prosecution
    "legal-framework": (
        r"\blaws?\b",
        r"legislation",
        r"legal (framework|frameworks|codes?|provisions|regulations?|procedures|mandates)",
        r"sub-decree",
        r"statutes?",
        r"\bdecrees?\b",
        r"civil law",
        r"criminal law",
        r"money[- ]laundering",
        r"ratif\w*",
        r"\bconvention\b",
        r"explanatory notes",
        r"legal analysis",
    ),
    "mutual-legal-assistance": (
        r"mutual (legal )?assistance",
        r"extradi\w*",
        r"central authority",
        r"prosecutors['’] network",
    ),
    "law-enforcement-training": (
        (
            r"\btrain\w*|curricul\w*|capacity|\bcourses?\b|modules?|manuals?|handbook|academ\w*",
            r"law enforce\w*|police|prosecut\w*|judg\w*|judicial|front-line officers|"
            r"criminal justice|investigat\w*",
        ),
    ),
    "investigation-and-operations": (
        r"investigat\w*",
        r"\barrest\w*",
        r"\brescu\w*",
        r"\braids?\b",
        r"\bdetect\w*",
        r"surveillance",
        r"border gates",
        r"checkpoints?",
        r"peak-time",
        r"law enforcement cooperation",
        r"\bdisrupt\w*",
        r"\bsuspects?\b",
        r"apprehension",
        r"police",
    ),
    "prosecution-and-courts": (
        r"prosecut\w*",
        r"\bcourts?\b",
        r"\btrials?\b",
        r"adjudicat\w*",
        r"\bjudges?\b",
        r"judicial",
        r"evidence",
        r"evidentiary",
        r"criminal justice",
        r"case management",
    ),
    "information-sharing": (
        r"intelligence",
        r"exchang\w*(\W+\w+){0,2}\W+(information|data)",
        r"shar\w*(\W+\w+){0,2}\W+(information|intelligence)",
        r"information (sharing|exchange|coordination)",
        r"case information",
        r"exchange (mechanism|networks?)",
        r"inform each other",
    ),
    # -- partnership and policy
    "focal-points-and-coordination": (
        r"focal (persons?|points?|officers?)",
        r"points? of contact",
        r"contact points?",
        r"coordinat\w*",
        r"central cooperation cent",
        r"task ?forces?",
        r"working groups?",
        r"secretariat",
        r"liaison",
        r"clearing house",
        r"networking",
    ),
    "agreements-and-cooperation": (
        r"\bagreements?\b",
        r"\bmo[uü]s?\b",
        r"memorand\w*",
        r"bilateral",
        r"multilateral",
        r"treat(y|ies)",
        r"delegation exchanges?",
        r"study tours?",
        r"cooperate with relevant countries",
        r"counterparts",
    ),
    "plans-and-policy": (
        r"plans? of action",
        r"\bpoas?\b",
        r"\bnpa\b",
        r"action plans?",
        r"implementation plans?",
        r"work ?plans?",
        r"operating plan",
        r"strateg(y|ic|ies)",
        r"\bpolic(y|ies)\b",
        r"political support",
    ),
    "monitoring-and-evaluation": (
        r"monitor\w*",
        r"evaluat\w*",
        r"progress reports?",
        r"\bindicators?\b",
        r"review\w*( the)? (implementation|results|effectiveness)",
        r"annual reports?",
        r"impact (analysis|evaluation)",
        r"reports? on the implementation",
        r"\breporting\b",
    ),
    "data-and-case-management": (
        r"databases?",
        r"\bdata\b",
        r"case registration",
        r"information system",
        r"case analysis system",
        r"registry",
        r"blacklist",
        r"list of (businesses|persons|institutions)",
        r"statistic\w*",
        r"collect\w*(\W+\w+){0,2}\W+information",
        r"collection of information",
        r"monitoring system",
        r"document\w* information",
    ),
    "research": (
        r"research",
        r"\bstud(y|ies)\b",
        r"\bassess\w*",
        r"survey",
        r"analy[sz]\w*",
        r"\bmap\b",
        r"(good|best) practices",
        r"\bcompile\b",
    ),
    "training-and-capacity": (
        r"\btrain\w*",
        r"capacity",
        r"curricul\w*",
        r"manuals?",
        r"modules?",
        r"\bcourses?\b",
        r"handbook",
        r"technical assistance",
        r"teachers?",
    ),
    "resources-and-funding": (
        r"budget",
        r"donors?",
        r"\bfund(s|ing)?\b",
        r"resources?(?! demands)",
        r"administrative costs",
    ),
    "civil-society-and-private-sector": (
        r"private sector",
        r"civil society",
        r"\bngos?\b",
        r"non-?govern\w*",
        r"participation",
        r"employers",
        r"coalition",
        r"\bforums?\b",
        r"community leaders",
        r"buddhist",
        r"codes of conduct",
        r"enterprises",
        r"incentives",
    ),
}

# Phrases blanked out before a theme's phrases are matched (theme -> expressions).
MASK: dict[str, tuple[str, ...]] = {
    "legal-framework": (r"\blaws?\s+enforce\w*",),
    "research": (r"study tours?", r"study and training", r"risk assessment tools?"),
    "labour-migration": (r"migrant smuggling",),
    "investigation-and-operations": (r"police department of criminal investigation",),
    "awareness-raising": (r"peak-time campaigns?",),
    "children-and-youth": (r"child safe tourism",),
}


@dataclass(frozen=True)
class Theme:
    slug: str
    label: str
    definition: str
    pillar: str | None  # slug of the pillar; None for a pillar itself
    mappings: tuple[tuple[str, str], ...] = ()  # (skos property local name, IRI)

    @property
    def iri(self) -> str:
        return f"{SCHEME}/{self.slug}"


@dataclass(frozen=True)
class ThemeTag:
    theme: str  # slug
    evidence: tuple[str, ...]  # the words that matched (or the curation's reason)
    source: str  # "text", "parent", "serves", "section", "curation"


@dataclass
class Tagging:
    """Themes of every step: (plan slug, number) -> tags; unthemed steps with their reason."""

    tags: dict[tuple[str, str], list[ThemeTag]] = field(default_factory=dict)
    unthemed: dict[tuple[str, str], str] = field(default_factory=dict)

    def themes(self, plan: str, number: str) -> list[str]:
        return [t.theme for t in self.tags.get((plan, number), [])]


@dataclass(frozen=True)
class ThemeCurations:
    add: tuple[tuple[str, str, str, str], ...] = ()  # (plan, number, theme, reason)
    remove: tuple[tuple[str, str, str, str], ...] = ()
    unthemed: tuple[tuple[str, str, str], ...] = ()  # (plan, number, reason)


def load_scheme(path: Path) -> dict[str, Theme]:
    """The themes of ontology/themes.ttl (pillars included), by slug, in notation order."""
    g = parse_turtle(Graph(), path)
    scheme = URIRef(SCHEME)
    out: dict[str, Theme] = {}
    # a parsed graph holds only identifiers, which rdflib orders (a bare Node has no order)
    concepts = (c for c in g.subjects(SKOS.inScheme, scheme) if isinstance(c, Identifier))
    for concept in sorted(concepts):
        slug = str(g.value(concept, SKOS.notation))
        broader = g.value(concept, SKOS.broader)
        maps = tuple(
            sorted(
                (prop, str(o))
                for prop in ("exactMatch", "closeMatch", "broadMatch")
                for o in g.objects(concept, SKOS[prop])
            )
        )
        out[slug] = Theme(
            slug=slug,
            label=str(g.value(concept, SKOS.prefLabel)),
            definition=str(g.value(concept, SKOS.definition)),
            pillar=str(broader).rsplit("/", 1)[-1] if broader is not None else None,
            mappings=maps,
        )
    return out


def _compiled() -> dict[str, list[tuple[re.Pattern[str], ...]]]:
    return {
        theme: [
            tuple(re.compile(p) for p in (phrase if isinstance(phrase, tuple) else (phrase,)))
            for phrase in phrases
        ]
        for theme, phrases in KEYWORDS.items()
    }


_PATTERNS = _compiled()
_MASKS = {theme: [re.compile(p) for p in ps] for theme, ps in MASK.items()}


def match_text(text: str) -> dict[str, tuple[str, ...]]:
    """Themes whose phrases occur in ``text``, each with the words that matched (sorted)."""
    lower = " ".join(text.lower().split())
    found: dict[str, tuple[str, ...]] = {}
    for theme, phrases in _PATTERNS.items():
        t = lower
        for mask in _MASKS.get(theme, ()):
            t = mask.sub(" ", t)
        words: set[str] = set()
        for parts in phrases:
            hits = [p.search(t) for p in parts]
            if all(hits):
                words.update(" ".join(h.group(0).split()) for h in hits if h)
        if words:
            found[theme] = tuple(sorted(words))
    return found


def load_curations(path: Path) -> ThemeCurations:
    """data/curation/themes.yaml: ``add``, ``remove`` (activity, theme, reason) and
    ``unthemed`` (activity, reason); an activity is ``plan-slug/number``."""
    if not path.exists():
        return ThemeCurations()
    raw, lines = read_yaml(path, CurationError, "theme curation file is missing")
    raw = raw or {}
    if not isinstance(raw, dict) or set(raw) - {"add", "remove", "unthemed"}:
        raise CurationError(
            "expected a mapping with add, remove, unthemed", file=path, line=lines.root
        )

    def activity(entry: dict, i: int, key: str) -> tuple[str, str]:
        ref = str(entry.get("activity", ""))
        plan, _, number = ref.partition("/")
        if not plan or not number or not str(entry.get("reason", "")).strip():
            raise CurationError(
                f"{key} entry {i}: needs activity (plan/number) and reason",
                file=path,
                line=lines.of(raw[key], i),
            )
        return plan, number

    out: dict[str, list] = {"add": [], "remove": [], "unthemed": []}
    for key in ("add", "remove"):
        for i, e in enumerate(raw.get(key) or []):
            plan, number = activity(e, i, key)
            if not e.get("theme"):
                raise CurationError(
                    f"{key} entry {i}: needs a theme", file=path, line=lines.of(raw[key], i)
                )
            out[key].append((plan, number, str(e["theme"]), " ".join(str(e["reason"]).split())))
    for i, e in enumerate(raw.get("unthemed") or []):
        plan, number = activity(e, i, "unthemed")
        out["unthemed"].append((plan, number, " ".join(str(e["reason"]).split())))
    return ThemeCurations(
        add=tuple(out["add"]), remove=tuple(out["remove"]), unthemed=tuple(out["unthemed"])
    )


def _tags(found: Mapping[str, tuple[str, ...]], source: str) -> list[ThemeTag]:
    return [ThemeTag(theme, words, source) for theme, words in sorted(found.items())]


def tag_plan(plan: Plan) -> dict[str, list[ThemeTag]]:
    """Themes of every step of one plan by number, before curation (steps 1-3 above)."""
    own = {a.number: match_text(a.text) for a in plan.activities}
    sections = {s.key: s for s in plan.sections}
    out: dict[str, list[ThemeTag]] = {}
    for a in plan.activities:
        if own[a.number]:
            out[a.number] = _tags(own[a.number], "text")
            continue
        parent = a.parent
        while parent is not None and parent in own and not own[parent]:
            parent = next((p.parent for p in plan.activities if p.number == parent), None)
        if parent is not None and own.get(parent):
            inherited = {t: (f"parent {parent}: {', '.join(w)}",) for t, w in own[parent].items()}
            out[a.number] = _tags(inherited, "parent")
            continue
        served = {t: (f"serves {n}: {', '.join(w)}",) for n in a.serves for t, w in own[n].items()}
        if served:
            out[a.number] = _tags(served, "serves")
            continue
        key = a.section
        while key is not None and key in sections:
            s = sections[key]
            found = match_text(s.title)
            if found:
                out[a.number] = _tags(
                    {t: (f"section {s.title!r}: {', '.join(w)}",) for t, w in found.items()},
                    "section",
                )
                break
            key = s.parent
        else:
            out[a.number] = []
    return out


def tag_plans(
    plans: Iterable[Plan], scheme: dict[str, Theme], curations: ThemeCurations
) -> Tagging:
    """Themes of every step of every plan, with the reviewed corrections applied.

    A curation naming an unknown plan, step or theme raises :class:`CurationError`, so an
    entry cannot silently outlive the step it was written for.
    """
    plans = list(plans)
    known_themes = {slug for slug, t in scheme.items() if t.pillar is not None}
    unknown = set(KEYWORDS) - known_themes
    if unknown:
        raise CurationError(f"classifier themes not in the scheme: {', '.join(sorted(unknown))}")
    tagging = Tagging()
    steps = set()
    for plan in plans:
        for number, tags in tag_plan(plan).items():
            tagging.tags[(plan.slug, number)] = tags
            steps.add((plan.slug, number))

    def check(plan: str, number: str, theme: str | None = None) -> None:
        if (plan, number) not in steps:
            raise CurationError(f"themes curation names unknown activity {plan}/{number}")
        if theme is not None and theme not in known_themes:
            raise CurationError(f"themes curation names unknown theme {theme!r}")

    for slug, number, theme, _reason in curations.remove:
        check(slug, number, theme)
        tags = tagging.tags[(slug, number)]
        if theme not in {t.theme for t in tags}:
            raise CurationError(f"themes curation removes {theme} from {slug}/{number}: not there")
        tagging.tags[(slug, number)] = [t for t in tags if t.theme != theme]
    for slug, number, theme, reason in curations.add:
        check(slug, number, theme)
        tags = [t for t in tagging.tags[(slug, number)] if t.theme != theme]
        tags.append(ThemeTag(theme, (reason,), "curation"))
        tagging.tags[(slug, number)] = sorted(tags, key=lambda t: t.theme)
    for slug, number, reason in curations.unthemed:
        check(slug, number)
        if tagging.tags[(slug, number)]:
            raise CurationError(f"{slug}/{number} is listed as unthemed but has themes")
        tagging.unthemed[(slug, number)] = reason
    return tagging


def untagged(tagging: Tagging) -> list[tuple[str, str]]:
    """Steps with no theme that are not listed as unthemed (should be none)."""
    return sorted(k for k, v in tagging.tags.items() if not v and k not in tagging.unthemed)
