"""Git and processes: the one subprocess helper and everything read from git.

``proc.run`` is the ONLY way a subprocess starts (argv, timeout, its own process group); ``gitinfo`` reads
HEAD, revisions and changed files through the git CLI; ``author`` says who writes a record; ``sync_git``
shares the ledger through a git ref. Standard library only. It must never import anything of ours outside
deploystate.state (platforms, verify, server, hooks), nor gitpython (the CLI is faster and one helper is
auditable).
"""
