"""The configuration: what deploystate.toml says and where the project is.

``project.Project.discover`` finds the root, the TOML and the state directory with the standard library (the
hooks' way in); ``configcheck`` and ``tomllines`` check the file without pydantic; ``config.load_config`` and
``checks`` are the pydantic models the CLI and the server validate with (never on the hook path); ``accepted``
remembers which texts those models accepted, so ``state``, ``render`` and every command's first check
answer "is this config valid?" without importing pydantic; ``mapping``
(over ``globs``) turns changed files into affected services; ``extras`` names the install an SDK needs. It
must never import anything of ours outside deploystate.state (platforms, verify, server, hooks), nor an SDK
(mcp, boto3, kubernetes, docker).
"""
