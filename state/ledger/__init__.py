"""The ledger: the chained, append-only record book and what keeps it honest.

It owns the record line and its hash chain (``chain``), ids and times (``ids``), whole-line appends
(``durable``), the ``Ledger`` itself (append, read, verify, repair), where it lives (``location``), its
closed segments and their sealing (``segments``, ``sealing``), merging and compaction (``merge``,
``migrate``, ``compact``), redaction applied on append (``redact``) and ``store.record``, the one way
anything is written. What tells an edited ledger from an honest one (the anchor, the chain mark,
``integrity.check``) is deploystate.state.tamper.
Standard library only (the hooks load it). It must never import anything of ours outside deploystate.state
(platforms, verify, server, hooks), nor any third-party library.
"""
