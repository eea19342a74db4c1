"""Shared fixtures live in tests/fixtures/, one module per real part, loaded here as plugins."""

pytest_plugins = [
    "tests.fixtures.gitrepo",
    "tests.fixtures.dockerd",
    "tests.fixtures.moto_server",
    "tests.fixtures.kube",
]
