"""The configuration: what deploystate.toml says and where the project is.

``project.Project.discover`` finds the root, the TOML and the state directory with the standard library (the
hooks' way in); ``configcheck`` and ``tomllines`` check the file cheaply for the hooks; ``config.load_config``
validates it with the models the CLI and the server use (``checks`` and ``models``, written in ``fields`` over
``kinds``: a small declarative layer, standard library only, so no command imports pydantic to read the
config, and every read validates the file again; never on the hook path); ``mapping``
(over ``globs``) turns changed files into affected services; ``extras`` names the install an SDK needs. It
must never import anything of ours outside deploystate.state (platforms, verify, server, hooks), nor an SDK
(mcp, boto3, kubernetes, docker).
"""
