"""The test servers' project roots: a synthetic dataset never writes into the checkout's cache
(issue 21's side finding: its metrics cache landed in the real data/cache/)."""

from __future__ import annotations

from pathlib import Path

from tests.server_process import root_with_graph


def _project(tmp: Path) -> Path:
    root = tmp / "project"
    for folder in ("data/graph", "data/cache", "data/sources", "queries"):
        (root / folder).mkdir(parents=True)
    return root


def test_another_dataset_gets_a_private_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    dest = tmp_path / "served"
    dest.mkdir()
    served = root_with_graph(root, corpus, dest)
    assert (served / "data" / "graph").resolve() == corpus.resolve()
    assert (served / "data" / "sources").resolve() == (root / "data" / "sources").resolve()
    cache = served / "data" / "cache"
    assert not cache.is_symlink()
    cache.mkdir()  # what the server does on first use
    (cache / "metrics-abc.nt").write_text("x", encoding="utf-8")
    assert list((root / "data" / "cache").iterdir()) == []


def test_the_projects_own_dataset_shares_its_cache(tmp_path: Path) -> None:
    root = _project(tmp_path)
    dest = tmp_path / "served"
    dest.mkdir()
    served = root_with_graph(root, root / "data" / "graph", dest)
    assert (served / "data" / "cache").resolve() == (root / "data" / "cache").resolve()
