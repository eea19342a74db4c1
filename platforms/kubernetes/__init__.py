"""The Kubernetes platform: Deployments, StatefulSets and DaemonSets.

``kubernetes.KubernetesPlatform`` is the platform over ``k8s_workload.gather`` (a workload, its pods and the
current revision's hash) and ``k8s_client``; the pure rules are ``k8s_rollout`` (Deployments), ``k8s_sets``
(StatefulSets, DaemonSets) and ``k8s_pods`` (pod failure reasons). It must never import deploystate.verify or
deploystate.server.
"""
