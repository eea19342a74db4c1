"""What a reader sees: the projection of the ledger and DEPLOYMENT_STATE.md.

``projection.build``/``apply`` fold records into the current state, ``cache.load`` keeps it incremental,
``view.build_view`` gathers what the state file shows and ``render.render`` writes it within its budget
(``timeline``: the Mermaid block). Standard library only (the hooks read the projection). It must never import
anything of ours outside deploystate.state (platforms, verify, server, hooks).
"""
