"""The room table tools/reroom.py applies: which modules move into which sub-package, and what each room says.

One entry per room: its folder, the docstring of its ``__init__.py`` (what it owns, what it must never
import) and the module stems that move into it, in the order a reader meets them. ``STAY`` lists the modules
that remain in the folder they are in; a module of a split folder that is in neither is new since this table
was written, and reroom.py stops until it is placed here. The names in this file are the OLD ones: reroom.py
never rewrites it.
"""

from __future__ import annotations

# The folders that are split; every .py file directly in them must be in STAY or in a room below.
SPLIT = ("state", "platforms", "server", "hooks")

STAY: dict[str, tuple[str, ...]] = {
    "state": ("__init__", "errors", "plain"),
    "platforms": ("__init__", "base", "registry", "fake", "recorded", "revision", "worktree", "plan", "gather",
                  "deploy", "outcome", "observing"),
    "server": ("__init__", "cli", "colour", "config_schema", "service_logs"),
    "hooks": ("__init__", "__main__", "gates", "snapshot", "settings", "override", "claims"),
}


ROOMS: list[tuple[str, str, tuple[str, ...]]] = [
    ("state/ledger", """The ledger: the chained, append-only record book and what keeps it honest.

It owns the record line and its hash chain (``chain``), ids and times (``ids``), whole-line appends
(``durable``), the ``Ledger`` itself (append, read, verify, repair), the anchor in the git common directory
(``anchor``, ``location``; ``remote_anchor`` on the team's remote), the cached chain verdict (``chainmark``),
``integrity.check`` (the question every decision asks first), merging and compaction (``merge``, ``migrate``,
``compact``), redaction applied on append (``redact``) and ``store.record``, the one way anything is written.
Standard library only (the hooks load it). It must never import anything of ours outside deploystate.state
(platforms, verify, server, hooks), nor any third-party library.
""", ("ids", "chain", "durable", "redact", "ledger", "anchor", "location", "chainmark", "integrity", "merge",
      "migrate", "compact", "store", "remote_anchor")),
    ("state/config", """The configuration: what deploystate.toml says and where the project is.

``project.Project.discover`` finds the root, the TOML and the state directory with the standard library (the
hooks' way in); ``configcheck`` and ``tomllines`` check the file without pydantic; ``config.load_config`` and
``checks`` are the pydantic models the CLI and the server validate with (never on the hook path); ``mapping``
(over ``globs``) turns changed files into affected services; ``extras`` names the install an SDK needs. It
must never import anything of ours outside deploystate.state (platforms, verify, server, hooks), nor an SDK
(mcp, boto3, kubernetes, docker).
""", ("project", "tomllines", "configcheck", "globs", "mapping", "config", "checks", "extras")),
    ("state/discovery", """What ``deploystate init`` finds in a repository: compose files, manifests, builds.

``discover.discover`` reads the files (PyYAML, imported inside it); ``found``, ``found_k8s``, ``found_build``,
``found_revision`` and ``found_workloads`` are the pure rules over what was read, and ``starter`` writes the
starter TOML text. CLI only: nothing on the hook or MCP path imports this room. It must never import anything
of ours outside deploystate.state (platforms, verify, server, hooks).
""", ("discover", "found", "found_k8s", "found_build", "found_revision", "found_workloads", "starter")),
    ("state/memory", """Memory: what was tried before, and sessions.

``memory`` records attempts and finds similar ones (``similarity``, ``signature`` of failures, ``recall`` over
``bitrank``), over an index kept beside the ledger (``memindex``, ``memrecords``); ``sessions`` opens and ends
agent sessions. Standard library only; it writes through ``state.ledger.store``. It must never import anything
of ours outside deploystate.state (platforms, verify, server, hooks).
""", ("memory", "memindex", "memrecords", "recall", "bitrank", "similarity", "signature", "sessions")),
    ("state/git", """Git and processes: the one subprocess helper and everything read from git.

``proc.run`` is the ONLY way a subprocess starts (argv, timeout, its own process group); ``gitinfo`` reads
HEAD, revisions and changed files through the git CLI; ``author`` says who writes a record; ``sync_git``
shares the ledger through a git ref. Standard library only. It must never import anything of ours outside
deploystate.state (platforms, verify, server, hooks), nor gitpython (the CLI is faster and one helper is
auditable).
""", ("proc", "gitinfo", "author", "sync_git")),
    ("state/drift", """Drift: what runs against what is committed.

``headcode`` is THE rule "runs HEAD's code" (``decide`` pure, ``Judge`` over git); ``observations`` keeps the
last answer of each runtime and assesses it; ``affect`` says which services a change affects from each
service's running commit; ``revhint`` says what to add so a runtime reports its commit. Standard library only.
It must never import anything of ours outside deploystate.state (platforms, verify, server, hooks): the
runtimes are asked by platforms, never from here.
""", ("headcode", "observations", "affect", "revhint")),
    ("state/view", """What a reader sees: the projection of the ledger and DEPLOYMENT_STATE.md.

``projection.build``/``apply`` fold records into the current state, ``cache.load`` keeps it incremental,
``view.build_view`` gathers what the state file shows and ``render.render`` writes it within its budget
(``timeline``: the Mermaid block). Standard library only (the hooks read the projection). It must never import
anything of ours outside deploystate.state (platforms, verify, server, hooks).
""", ("projection", "cache", "view", "render", "timeline")),
    ("platforms/compose", """The docker compose platform: restart or recreate per service, read back the containers.

``compose.ComposePlatform`` is the platform; ``compose_cli`` runs the compose CLI, ``compose_drift`` says what
a ``restart`` would not pick up, ``compose_label`` stamps and reads the build's revision label. It uses the
Docker Engine readings of ``platforms.docker``. It must never import deploystate.verify or deploystate.server.
""", ("compose", "compose_cli", "compose_drift", "compose_label")),
    ("platforms/docker", """The Docker Engine platform and the engine readings compose shares.

``docker.DockerPlatform`` is the platform; ``dockerutil`` talks to the engine (the docker SDK, imported
lazily), ``docker_view`` reads a container back, ``docker_images`` says what a tag points to and which image
holds a revision (rollback), ``docker_recreate`` recreates a container from a new image, keeping its
configuration. It must never import deploystate.verify or deploystate.server.
""", ("docker", "dockerutil", "docker_view", "docker_images", "docker_recreate")),
    ("platforms/kubernetes", """The Kubernetes platform: Deployments, StatefulSets and DaemonSets.

``kubernetes.KubernetesPlatform`` is the platform over ``k8s_workload.gather`` (a workload, its pods and the
current revision's hash) and ``k8s_client``; the pure rules are ``k8s_rollout`` (Deployments), ``k8s_sets``
(StatefulSets, DaemonSets) and ``k8s_pods`` (pod failure reasons). It must never import deploystate.verify or
deploystate.server.
""", ("kubernetes", "k8s_client", "k8s_workload", "k8s_rollout", "k8s_sets", "k8s_pods")),
    ("platforms/ecs", """The AWS ECS platform.

``ecs.EcsPlatform`` is the platform; ``ecs_client`` makes the boto3 client (imported lazily) and
``ecs_observe`` reads a service's deployments and tasks into an observation. It must never import
deploystate.verify or deploystate.server.
""", ("ecs", "ecs_client", "ecs_observe")),
    ("platforms/command", """The command platform: a service run by systemd, supervisord or any command line.

``command.CommandPlatform`` runs the configured argv (through ``state.git.proc``), ``command_parse`` reads
what the commands print and ``command_logs`` fetches logs since a time. Standard library only. It must never
import deploystate.verify or deploystate.server.
""", ("command", "command_parse", "command_logs")),
    ("server/mcp", """The MCP server: the app, the context every tool runs in, and the machinery around each call.

``mcp_app.build_server`` builds the server from the tool families in ``server.tools``; ``mcp_context`` is what
a tool body gets (project, confirmation, progress); ``tool_errors``, ``progress``, ``modes``, ``confirm``,
``elicit``, ``audit`` and ``trust`` (the ledger's integrity first) wrap every call; ``models`` are the
structured outputs; ``state_summary`` and ``viewcache`` serve the state tools. Nothing outside the server
imports this room: the hooks never load it.
""", ("mcp_app", "mcp_context", "models", "tool_errors", "progress", "modes", "confirm", "elicit", "audit",
      "schema_flat", "viewcache", "state_summary", "state_summary_text", "lookup", "trust")),
    ("hooks/git", """The git hooks: pre-push, commit-msg, post-commit/post-merge, and their installer.

``gitpush.run``, ``commitmsg.run`` and ``postcommit.run`` are loaded by ``hooks.__main__``; ``pending``
records a pending deploy for each service CI will roll out after a push; ``install`` writes the shims into the
git hooks directory. Like every hook module it imports only deploystate.state and the standard library: never
deploystate.platforms, .verify or .server, nor mcp, boto3, kubernetes, docker or pydantic.
""", ("gitpush", "commitmsg", "postcommit", "pending", "install")),
    ("hooks/agents", """The agent-client hooks: Claude Code, Codex, Cursor and Gemini CLI share one protocol.

``agents.run`` decides per agent event, ``agentio`` speaks each client's JSON and ``agent_install`` writes
each client's settings file with the fail-closed launcher (and ``agent_rules``, the clients' own permission
rules); ``gitrefs`` reads the refs a push would send from git's files. Like every hook module it imports only
deploystate.state and the standard library: never deploystate.platforms, .verify or .server, nor mcp, boto3,
kubernetes, docker or pydantic.
""", ("agents", "agentio", "agent_install", "agent_rules", "gitrefs")),
    ("hooks/shell", """Reading shell lines: what a command an agent runs would do to git (pure, standard library only).

``shellwords`` unwraps a shell line into the simple commands it runs; ``shellparse`` reads git's options on
them and returns findings with a category. It must never import anything of ours but these two modules.
""", ("shellwords", "shellparse")),
]
