"""The docker compose platform: restart or recreate per service, read back the containers.

``compose.ComposePlatform`` is the platform; ``compose_cli`` runs the compose CLI, ``compose_drift`` says what
a ``restart`` would not pick up, ``compose_label`` stamps and reads the build's revision label. It uses the
Docker Engine readings of ``platforms.docker``. It must never import deploystate.verify or deploystate.server.
"""
