"""What ``deploystate init`` finds in a repository: compose files, manifests, builds.

``discover.discover`` reads the files (PyYAML, imported inside it); ``found``, ``found_k8s``, ``found_build``,
``found_revision`` and ``found_workloads`` are the pure rules over what was read, and ``starter`` writes the
starter TOML text. CLI only: nothing on the hook or MCP path imports this room. It must never import anything
of ours outside deploystate.state (platforms, verify, server, hooks).
"""
