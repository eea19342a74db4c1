"""The git hooks: pre-push, commit-msg, post-commit/post-merge, and their installer.

``gitpush.run``, ``commitmsg.run`` and ``postcommit.run`` are loaded by ``hooks.__main__``; ``pending``
records a pending deploy for each service CI will roll out after a push; ``install`` writes the shims into the
git hooks directory. Like every hook module it imports only deploystate.state and the standard library: never
deploystate.platforms, .verify or .server, nor mcp, boto3, kubernetes, docker or pydantic.
"""
