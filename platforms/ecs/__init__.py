"""The AWS ECS platform.

``ecs.EcsPlatform`` is the platform; ``ecs_client`` makes the boto3 client (imported lazily) and
``ecs_observe`` reads a service's deployments and tasks into an observation. It must never import
deploystate.verify or deploystate.server.
"""
