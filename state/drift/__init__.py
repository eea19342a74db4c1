"""Drift: what runs against what is committed.

``headcode`` is THE rule "runs HEAD's code" (``decide`` pure, ``Judge`` over git); ``observations`` keeps the
last answer of each runtime and assesses it; ``affect`` says which services a change affects from each
service's running commit; ``revhint`` says what to add so a runtime reports its commit. Standard library only.
It must never import anything of ours outside deploystate.state (platforms, verify, server, hooks): the
runtimes are asked by platforms, never from here.
"""
