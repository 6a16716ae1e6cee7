"""How alike two steps are: the signals of the overlap detector and the methods built on them.

Every signal is a row-normalised feature matrix ``X_s`` over the steps, so the similarity of
steps *i* and *j* under a signal is the dot product of their rows (a cosine, 0..1), and a
method's similarity is a weighted sum ``sum_s w_s * X_s X_s^T``, computed as one product of
the stacked matrix ``Z = [sqrt(w_s) X_s]`` (:func:`features`), in row blocks, never as an
n x n matrix on a large corpus. The signals:

* ``tfidf`` — scikit-learn's ``TfidfVectorizer`` (sublinear term frequency, unigrams and
  bigrams of lower-cased words less the domain stop words of :data:`STOP_WORDS`, word forms
  joined by :func:`word_form`);
* ``embedding`` — the mean of WordLlama's static token embeddings (the ``l2_supercat`` 256-d
  model that ships inside the ``wordllama`` wheel: read from the installed package, never
  downloaded), over the same words;
* ``lexicon`` — the entries of ``data/overlaps/lexicon.yaml`` a step matches (equivalent
  phrases), weighted by their inverse document frequency;
* ``themes`` — the step's action themes (``pg:theme``), IDF-weighted;
* ``agencies`` — the agencies that carry it (catch-all groups left out).

A short step ("Drafted", "Review draft") is read with its parent's text before it (see
:func:`step_text`). :data:`METHODS` are the combinations compared on the labelled set
(``bench/overlap_accuracy.py``); :data:`CHOSEN` is the one the build uses.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from plangraph.analysis.overlaps.lexicon import Lexicon, Match

SHORT_TEXT = 6  # words: a step this short is read after its parent's text


class Step(Protocol):
    """What the signals read of a step (plangraph.analysis.overlaps.detect.Item, a frozen
    dataclass: read-only)."""

    @property
    def key(self) -> tuple[str, str]: ...
    @property
    def plan(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def themes(self) -> frozenset[str]: ...
    @property
    def agencies(self) -> frozenset[str]: ...
    @property
    def parties(self) -> frozenset[str]: ...


STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "according",
        "across",
        "after",
        "against",
        "all",
        "also",
        "among",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "based",
        "be",
        "been",
        "being",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "each",
        "either",
        "etc",
        "for",
        "from",
        "further",
        "given",
        "has",
        "have",
        "having",
        "how",
        "if",
        "in",
        "including",
        "into",
        "is",
        "it",
        "its",
        "may",
        "more",
        "most",
        "must",
        "need",
        "needs",
        "no",
        "not",
        "of",
        "on",
        "one",
        "or",
        "other",
        "others",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "two",
        "under",
        "up",
        "upon",
        "use",
        "used",
        "using",
        "via",
        "was",
        "well",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "will",
        "with",
        "within",
        "would",
        "eg",
        "e",
        "g",
        "i",
        "ii",
        "iii",
        "iv",
        "v",
        "vi",
        "human",
        "trafficking",
        "traffick",
        "trafficked",
        "persons",
        "person",
        "tip",
        "anti",
        "counter",
        "combat",
        "combating",
        "combatting",
        "sexual",
        "exploitation",
        "develop",
        "development",
        "organize",
        "organise",
        "conduct",
        "implement",
        "implementation",
        "continue",
        "ensure",
        "relevant",
        "concerned",
        "country",
        "countries",
        "party",
        "parties",
        "cambodia",
        "cambodian",
        "china",
        "chinese",
        "thailand",
        "thai",
        "viet",
        "vietnam",
        "nam",
        "lao",
        "pdr",
        "myanmar",
        "khmer",
        "kingdom",
        "royal",
        "government",
        "governments",
        "ministry",
        "ministries",
        "national",
        "sub",
        "regional",
        "region",
        "level",
        "levels",
        "activity",
        "activities",
        "issue",
        "issues",
        "provide",
        "support",
        "strengthen",
        "improve",
        "increase",
        "promote",
        "facilitate",
        "establish",
        "create",
        "make",
        "basis",
        "annual",
        "annually",
        "existing",
        "new",
        "appropriate",
        "effective",
        "effectively",
        "key",
        "especially",
        "particular",
        "particularly",
    ]
)
_WORD = re.compile(r"[a-z][a-z\-]*[a-z]|[a-z]")


def word_form(word: str) -> str:
    """One form for the singular and plural (and -ing/-ed) of a word, for counting only:
    the evidence shows words as printed, never this form."""
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("xes", "x"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("ing", ""),
        ("ed", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith("ss") and len(word) > 4:
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    out = []
    for raw in _WORD.findall(text.lower()):
        for w in raw.split("-"):
            if len(w) > 1 and w not in STOP_WORDS:
                out.append(word_form(w))
    return out


def analyse_text(text: str) -> list[str]:
    """Unigrams and bigrams (the TF-IDF vocabulary)."""
    ws = words(text)
    return ws + [f"{a} {b}" for a, b in itertools.pairwise(ws)]


def step_text(step: Step, parent: Step | None) -> str:
    """The text the signals read: a short step's parent's text, then its own."""
    if parent is not None and len(step.text.split()) < SHORT_TEXT:
        return f"{parent.text} {step.text}"
    return step.text


# ---------------------------------------------------------------------------------------
# Signals: each a row-normalised matrix (rows in the order of the steps)


def _normalise(x: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ x)


def _idf_sets(sets: Sequence[Iterable[str]]) -> sparse.csr_matrix:
    """Binary set membership weighted by inverse document frequency, rows normalised."""
    sets = [sorted(set(s)) for s in sets]
    df = Counter(v for s in sets for v in s)
    columns = {v: i for i, v in enumerate(sorted(df))}
    n = len(sets)
    rows, cols, vals = [], [], []
    for r, s in enumerate(sets):
        for v in s:
            rows.append(r)
            cols.append(columns[v])
            vals.append(math.log((1 + n) / (1 + df[v])) + 1.0)
    x = sparse.csr_matrix((vals, (rows, cols)), shape=(n, max(len(columns), 1)))
    return _normalise(x)


def tfidf_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=analyse_text, sublinear_tf=True, dtype=np.float64)
    return sparse.csr_matrix(vectorizer.fit_transform(texts))  # rows are l2-normalised


def embedding_matrix(texts: Sequence[str]) -> np.ndarray:
    model = wordllama_model()
    cleaned = [" ".join(_WORD.findall(t.lower())) for t in texts]
    cleaned = [" ".join(w for w in t.split() if w not in STOP_WORDS) or t for t in cleaned]
    x = np.asarray(model.embed(cleaned, norm=False), dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.round(x / norms, 6)  # rounded: the same bits on any machine


_MODEL: Any = None


def wordllama_model() -> Any:
    """WordLlama's l2_supercat 256-d model, read from the files inside the installed wheel
    (wordllama's own loader would look for the tokenizer in a folder the wheel does not have,
    and then download it: never here)."""
    global _MODEL
    if _MODEL is None:
        from importlib.resources import files

        # wordllama's dependencies, installed only with the overlaps-bench extra
        from safetensors import safe_open  # type: ignore[import-not-found, unused-ignore]
        from tokenizers import Tokenizer  # type: ignore[import-not-found, unused-ignore]
        from wordllama.inference import WordLlamaInference

        root = files("wordllama")
        tokenizer = Tokenizer.from_file(
            str(root / "tokenizers" / "l2_supercat_tokenizer_config.json")
        )
        weights = str(root / "weights" / "l2_supercat_256.safetensors")
        with safe_open(weights, framework="np", device="cpu") as f:
            embedding = f.get_tensor("embedding.weight")
        _MODEL = WordLlamaInference(embedding, tokenizer)
    return _MODEL


# ---------------------------------------------------------------------------------------
# Methods


@dataclass(frozen=True)
class Method:
    """A combination of signals, its clustering threshold and its strong-confidence level."""

    name: str
    weights: Mapping[str, float]
    threshold: float  # average-linkage cut: a kind's members are at least this alike on average
    strong: float  # a kind (or member) scoring at least this is "strong", else "possible"
    description: str = ""
    signals: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "signals", tuple(sorted(k for k, w in self.weights.items() if w)))

    @property
    def total(self) -> float:
        return sum(self.weights.values())


@dataclass
class Signals:
    """The per-signal matrices of a corpus and what they were computed from."""

    texts: list[str]
    lexicon: list[list[Match]]
    matrices: dict[str, Any] = field(default_factory=dict)


def signal_matrix(name: str, steps: Sequence[Step], signals: Signals) -> Any:
    if name not in signals.matrices:
        if name == "tfidf":
            m: Any = tfidf_matrix(signals.texts)
        elif name == "embedding":
            m = embedding_matrix(signals.texts)
        elif name == "lexicon":
            m = _idf_sets([[x.entry for x in ms] for ms in signals.lexicon])
        elif name == "themes":
            m = _idf_sets([s.themes for s in steps])
        elif name == "agencies":
            m = _idf_sets([s.agencies for s in steps])
        else:
            raise ValueError(f"unknown signal {name!r}")
        signals.matrices[name] = m
    return signals.matrices[name]


def prepare(
    steps: Sequence[Step], parents: Mapping[tuple[str, str], Step | None], lexicon: Lexicon
) -> Signals:
    texts = [step_text(s, parents.get(s.key)) for s in steps]
    matches = [lexicon.match(t, s.parties) for s, t in zip(steps, texts, strict=True)]
    return Signals(texts=texts, lexicon=matches)


def features(method: Method, steps: Sequence[Step], signals: Signals) -> sparse.csr_matrix:
    """Z, so that Z Z^T is the method's similarity divided by its total weight (0..1)."""
    blocks = []
    for name in method.signals:
        m = signal_matrix(name, steps, signals)
        w = math.sqrt(method.weights[name] / method.total)
        blocks.append(sparse.csr_matrix(m) * w)
    return sparse.csr_matrix(sparse.hstack(blocks, format="csr"))


def similar_pairs(
    z: sparse.csr_matrix, threshold: float, block: int = 1024
) -> list[tuple[int, int]]:
    """Every pair (i < j) whose similarity, rounded to 4 places, is at least ``threshold``:
    row blocks of the sparse product Z Z^T, never the whole n x n matrix."""
    out: list[tuple[int, int]] = []
    zt = sparse.csc_matrix(z.T)
    for start in range(0, z.shape[0], block):
        part = sparse.coo_matrix(z[start : start + block] @ zt)
        keep = np.round(part.data, 4) >= threshold
        rows = part.row[keep] + start
        cols = part.col[keep]
        upper = rows < cols
        out.extend(zip(rows[upper].tolist(), cols[upper].tolist(), strict=True))
    return sorted(out)


def dense_similarity(z: sparse.csr_matrix, rows: Sequence[int]) -> np.ndarray:
    """The similarity among ``rows``, rounded to 4 places (so thresholds and ties are the
    same on any machine)."""
    sub = z[list(rows)]
    s = np.round((sub @ sub.T).toarray(), 4)
    s = np.minimum(s, s.T)
    np.fill_diagonal(s, 1.0)
    return np.clip(s, 0.0, 1.0)
