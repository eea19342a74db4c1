"""The MCP server: the app, the context every tool runs in, and the machinery around each call.

``mcp_app.build_server`` builds the server from the tool families in ``server.tools``; ``mcp_context`` is what
a tool body gets (project, confirmation, progress); ``tool_errors``, ``progress``, ``modes``, ``confirm``,
``elicit``, ``audit`` and ``trust`` (the ledger's integrity first) wrap every call; ``models`` are the
structured outputs; ``state_summary`` and ``viewcache`` serve the state tools. Nothing outside the server
imports this room: the hooks never load it.
"""
