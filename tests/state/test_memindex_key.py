"""The in-process memory index is found by its state directory resolved once per spelling
(``memindex.loaded_key``); what is behind that spelling now is still judged from the ledger's own bytes."""

from __future__ import annotations

from pathlib import Path

from deploystate.state.ledger.ledger import Ledger
from deploystate.state.memory import memindex
from tests.fixtures.ledgers import attempts_index


def _summaries(index: memindex.MemoryIndex) -> set[str]:
    return {doc.summary for doc in index.docs}


def test_a_state_dir_swapped_behind_the_same_spelling_is_answered_from_its_own_ledger(tmp_path: Path):
    """Two spellings of one state directory share its index; when the symlink then names another state
    directory, the index loaded through it holds that directory's attempts, not the first one's."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = attempts_index(tmp_path / "a", [{"summary": "raise the worker memory limit"}])
    attempts_index(tmp_path / "b", [{"summary": "pin the redis image tag"}, {"summary": "restart the beat"}])
    link = tmp_path / "state"
    link.symlink_to(tmp_path / "a" / ".deploystate")
    via_link = memindex.load(Ledger(link))
    assert via_link is first and _summaries(via_link) == {"raise the worker memory limit"}
    link.unlink()
    link.symlink_to(tmp_path / "b" / ".deploystate")
    swapped = memindex.load(Ledger(link))
    assert _summaries(swapped) == {"pin the redis image tag", "restart the beat"}
