"""The ledger: the chained, append-only record book and what keeps it honest.

It owns the record line and its hash chain (``chain``), ids and times (``ids``), whole-line appends
(``durable``), the ``Ledger`` itself (append, read, verify, repair), the anchor in the git common directory
(``anchor``, ``location``; ``remote_anchor`` on the team's remote), the cached chain verdict (``chainmark``),
``integrity.check`` (the question every decision asks first), merging and compaction (``merge``, ``migrate``,
``compact``), redaction applied on append (``redact``) and ``store.record``, the one way anything is written.
Standard library only (the hooks load it). It must never import anything of ours outside deploystate.state
(platforms, verify, server, hooks), nor any third-party library.
"""
