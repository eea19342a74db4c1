"""The Docker Engine platform and the engine readings compose shares.

``docker.DockerPlatform`` is the platform; ``dockerutil`` talks to the engine (the docker SDK, imported
lazily), ``docker_view`` reads a container back, ``docker_images`` says what a tag points to and which image
holds a revision (rollback), ``docker_recreate`` recreates a container from a new image, keeping its
configuration. It must never import deploystate.verify or deploystate.server.
"""
