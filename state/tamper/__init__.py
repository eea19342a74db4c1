"""What tells an honest ledger from an edited, cut or swapped one, read before every decision.

The anchor of the ledger's head outside the work tree (``anchor``; ``anchorhead`` for the writers that move
it; ``remote_anchor`` on the team's remote), the cached verdict of the chain keyed on the files' stats and
content (``chainmark``, ``chaincontent``; ``appendlog`` names the growth deploystate's own appends explain),
and ``integrity.check``, the question every decision asks first. Standard library only: the hooks load it.

It reads the ledger's files through deploystate.state.ledger (segments, reading, flock); the ledger's
writers anchor what they append through ``anchor``/``anchorhead``. Neither imports the other's modules in a
cycle at import time: the ledger's side imports ``anchor`` at module level and the rest where it writes.
"""
