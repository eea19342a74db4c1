"""Shared fixtures live in tests/fixtures/, one module per real part, loaded here as plugins."""

from hypothesis import HealthCheck, settings

pytest_plugins = [
    "tests.fixtures.gitrepo",
    "tests.fixtures.dockerd",
    "tests.fixtures.moto_server",
    "tests.fixtures.kube",
]

# Hypothesis times every example (a 200 ms deadline) and its data generation (the too_slow health check):
# wall-clock margins that a loaded 2-core CI machine breaks (a property test failed FailedHealthCheck with
# four busy processes beside it). What a property test checks is the rule, never the speed.
settings.register_profile("deploystate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("deploystate")
