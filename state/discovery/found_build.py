"""Where an image is built from: the link between a workload's image and the source folder (pure).

A manifest only names an image; the code behind it lives elsewhere. The links come from the files
that build images, strongest first: ``skaffold.yaml`` artifacts (``image`` + ``context``), compose
services with both ``image`` and ``build``, ``cloudbuild.yaml`` and GitHub Actions steps that run
``docker build``/``docker/build-push-action`` with a context, and, weakest, a Dockerfile in a folder
named like the image or the workload. Each link says where it came from: ``init`` writes that as
the comment beside the service's paths.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class BuildLink:
    image: str          # the image repository as the build names it (no tag)
    context: str        # folder relative to the repository root ("" = the root)
    dockerfile: str | None
    origin: str         # "skaffold.yaml build.artifacts[adservice].context", ...


def repo_of(image: str) -> str:
    """``reg:5000/a/b:tag@sha256:..`` -> ``reg:5000/a/b`` (tag and digest cut)."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


def short_name(image: str) -> str:
    """The image's last path segment without tag: what skaffold and manifests most often share."""
    return repo_of(image).rsplit("/", 1)[-1]


def _rel(base: str, path: str) -> str | None:
    if not isinstance(path, str) or "$" in path or "://" in path or path.startswith("git@"):
        return None
    joined = posixpath.normpath(posixpath.join(base or ".", path))
    if joined.startswith("..") or posixpath.isabs(joined):
        return None
    return "" if joined == "." else joined


def skaffold_links(doc: Any, path: str) -> list[BuildLink]:
    """``build.artifacts`` of a skaffold config, and of its profiles."""
    base = posixpath.dirname(path)
    blocks = [doc] + [p for p in (doc.get("profiles") or []) if isinstance(p, dict)] if isinstance(doc, dict) else []
    out = []
    for i, block in enumerate(blocks):
        build = block.get("build") if isinstance(block.get("build"), dict) else {}
        for art in build.get("artifacts") or []:
            if not isinstance(art, dict) or not isinstance(art.get("image"), str):
                continue
            ctx = _rel(base, art.get("context") or ".")
            if ctx is None:
                continue
            docker = art.get("docker") if isinstance(art.get("docker"), dict) else {}
            df = _rel(ctx, docker["dockerfile"]) if isinstance(docker.get("dockerfile"), str) else None
            where = f"profiles[{block.get('name', i - 1)}]." if i else ""
            out.append(BuildLink(repo_of(art["image"]), ctx, df,
                                 f"{path} {where}build.artifacts[{art['image']}].context"))
    return out


def compose_links(doc: Any, path: str) -> list[BuildLink]:
    """Compose services naming both the image they build and the build context."""
    base = posixpath.dirname(path)
    services = doc.get("services") if isinstance(doc, dict) and isinstance(doc.get("services"), dict) else {}
    out = []
    for name, body in services.items():
        if not isinstance(body, dict) or not isinstance(body.get("image"), str) or body.get("build") is None:
            continue
        build = body["build"]
        spec = {"context": build} if isinstance(build, str) else build if isinstance(build, dict) else {}
        ctx = _rel(base, str(spec.get("context") or "."))
        if ctx is not None:
            out.append(BuildLink(repo_of(body["image"]), ctx, None, f"{path} services.{name}.build"))
    return out


def docker_build_args(argv: list[str]) -> tuple[list[str], str | None, str | None] | None:
    """(tags, context, dockerfile) of a ``docker build``/``buildx build`` argv, None when it is not one."""
    try:
        start = next(i for i, a in enumerate(argv) if a == "build") + 1
    except StopIteration:
        return None
    tags, file, positional = [], None, []
    value_opts = {"-t", "--tag", "-f", "--file", "--build-arg", "--target", "--platform", "--label", "--cache-from",
                  "--cache-to", "--secret", "--ssh", "--network", "--progress", "--output", "-o"}
    it = iter(argv[start:])
    for arg in it:
        opt, eq, val = arg.partition("=")
        if opt in value_opts:
            val = val if eq else next(it, "")
            if opt in ("-t", "--tag"):
                tags.append(val)
            elif opt in ("-f", "--file"):
                file = val
        elif not arg.startswith("-"):
            positional.append(arg)
    return tags, (positional[-1] if positional else None), file


def _links_from_argv(argv: list[str], base: str, origin: str) -> list[BuildLink]:
    parsed = docker_build_args(argv)
    if not parsed:
        return []
    tags, ctx, file = parsed
    rel = _rel(base, ctx) if ctx else None
    if rel is None:
        return []
    df = _rel(base, file) if file else None
    # A registry path with $PROJECT_ID-style substitutions still names the image by its last segment.
    return [BuildLink(repo_of(t), rel, df, origin) for t in tags if t and "$" not in short_name(t)]


def cloudbuild_links(doc: Any, path: str) -> list[BuildLink]:
    """``steps[].args`` of docker build steps in a Cloud Build config (context relative to its dir)."""
    steps = doc.get("steps") if isinstance(doc, dict) else None
    out = []
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        args = step.get("args") if isinstance(step, dict) else None
        if isinstance(args, list) and "build" in args:
            base = _rel(posixpath.dirname(path), step.get("dir") or ".") or ""
            out += _links_from_argv([str(a) for a in args], base, f"{path} steps[{i}] docker build")
    return out


def actions_links(doc: Any, path: str) -> list[BuildLink]:
    """GitHub Actions steps: ``docker/build-push-action`` (with context/tags) or a ``run`` docker build."""
    jobs = doc.get("jobs") if isinstance(doc, dict) and isinstance(doc.get("jobs"), dict) else {}
    out = []
    for job_name, job in jobs.items():
        for i, step in enumerate((job or {}).get("steps") or [] if isinstance(job, dict) else []):
            if not isinstance(step, dict):
                continue
            where = f"{path} jobs.{job_name}.steps[{i}]"
            uses, with_ = str(step.get("uses") or ""), step.get("with") if isinstance(step.get("with"), dict) else {}
            if uses.startswith("docker/build-push-action"):
                ctx = _rel("", str(with_.get("context") or "."))
                tags = [t.strip() for t in str(with_.get("tags") or "").replace(",", "\n").splitlines() if t.strip()]
                df = _rel("", with_["file"]) if isinstance(with_.get("file"), str) else None
                out += [BuildLink(repo_of(t), ctx, df, f"{where} {uses.split('@')[0]}")
                        for t in tags if ctx is not None and "$" not in short_name(t)]
            elif isinstance(step.get("run"), str):
                for line in step["run"].replace("\\\n", " ").splitlines():
                    try:
                        argv = shlex.split(line)
                    except ValueError:
                        continue
                    if "docker" in argv[:2]:
                        out += _links_from_argv(argv, "", f"{where} run: docker build")
    return out


@dataclass(frozen=True)
class Source:
    context: str
    dockerfile: str | None
    origin: str
    guessed: bool = False


def source_for(images: Iterable[str], names: Iterable[str], links: list[BuildLink],
               dockerfiles: list[str]) -> Source | None:
    """The build context of a workload whose containers run ``images`` (names: the workload's own names)."""
    images = [i for i in images if isinstance(i, str) and i]
    for image in images:                                     # the full repository first, then its last part
        for link in links:
            if link.image == repo_of(image):
                return Source(link.context, link.dockerfile, f"image {repo_of(image)} <- {link.origin}")
    for image in images:
        for link in links:
            if short_name(link.image) == short_name(image):
                return Source(link.context, link.dockerfile, f"image {short_name(image)} <- {link.origin}")
    wanted = [short_name(i) for i in images] + list(names)
    for want in wanted:
        for df in dockerfiles:
            folder = posixpath.dirname(df)
            if folder and posixpath.basename(folder) == want:
                return Source(folder, None, f"{df}: a Dockerfile in a folder named {want} (guessed: check)", True)
    return None
