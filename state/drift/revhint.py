"""What to add so a runtime reports the commit it runs (standard library only: the CLI, init and hooks share it).

One sentence per (platform, revision source), naming the exact label, variable or key and where it goes,
so a missing revision is a to-do with the line to paste, not a riddle."""

from __future__ import annotations

LABEL = "org.opencontainers.image.revision"
COMMIT = "$(git rev-parse HEAD)"


def what_to_add(service: str, platform: str, source: str = "label", name: str = LABEL,
                url: str | None = None) -> str:
    """The line(s) to add so ``service`` reports its running commit, worded as an instruction."""
    waiver = (f" If it truly cannot, set revision_waiver = \"<why>\" under [services.{service}] "
              "(shown as a standing warning).")
    if source == "label":
        if platform == "compose":
            how = (f"give the image the label {name}: in docker-compose.yml under services.<svc>.build add "
                   f"`labels: {{\"{name}\": \"${{GIT_COMMIT}}\"}}` and build with GIT_COMMIT={COMMIT}, or "
                   f"build it with `docker build --label {name}={COMMIT} ...`")
        elif platform == "docker":
            how = f"build the image with `docker build --label {name}={COMMIT} ...` (or pass --label to docker run)"
        else:
            how = f"set the label {name}=<commit> on the image when it is built (CI: --label {name}={COMMIT})"
    elif source == "env":
        where = {"kubernetes": "the deployment's container spec (env: - name: {n} value: <commit>)",
                 "ecs": "the task definition's container environment ({n}=<commit>)",
                 "command": "what observe_cmd prints (a `revision` or `{n}` key with the commit)"}
        how = (f"set the environment variable {name} to the commit in "
               + where.get(platform, "the container's environment ({n}=<commit>)").format(n=name)
               + f" when deploying (CI: {name}={COMMIT})")
    elif source == "image_tag":
        how = f"tag the image with the commit (e.g. app:{COMMIT}) so the revision pattern finds it"
    elif source == "http":
        how = f"make {url or 'the version endpoint'} answer with the commit the process was built from"
    else:
        how = f"configure [services.{service}.revision] with a source this platform ({platform}) can read"
    return f"{service} does not report the commit it runs: {how}.{waiver}"
