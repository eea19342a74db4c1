"""The agent-client hooks: Claude Code, Codex, Cursor and Gemini CLI share one protocol.

``agents.run`` decides per agent event, ``agentio`` speaks each client's JSON and ``agent_install`` writes
each client's settings file with the fail-closed launcher (and ``agent_rules``, the clients' own permission
rules); ``gitrefs`` reads the refs a push would send from git's files. Like every hook module it imports only
deploystate.state and the standard library: never deploystate.platforms, .verify or .server, nor mcp, boto3,
kubernetes, docker or pydantic.
"""
