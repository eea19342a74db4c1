"""Memory: what was tried before, and sessions.

``memory`` records attempts and finds similar ones (``similarity``, ``signature`` of failures, ``recall`` over
``bitrank``), over an index kept beside the ledger (``memindex`` on disk: a ``segment`` read by query, in
``codec``'s encodings, and an anchored tail; ``memmodel`` in a process, ``memdoc`` its attempts read back from
their ledger lines; ``memrecords``); ``sessions`` opens and ends
agent sessions. Standard library only; it writes through ``state.ledger.store``. It must never import anything
of ours outside deploystate.state (platforms, verify, server, hooks).
"""
