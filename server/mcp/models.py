"""Pydantic models of the MCP tools' inputs and outputs: the limits an agent sees in each tool's schema.

Input models forbid unknown fields and bound every string and list, so one
call can never write a megabyte line to the ledger; the numbers are in the
field descriptions because agents read those, not this module.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

KB = 1024
SUMMARY_MAX = 16 * KB       # an attempt summary, hypothesis or handoff field
EVIDENCE_MAX = 32 * KB      # pasted logs or output; the ledger line limit is 1 MB for the whole record
GOAL_MAX = 4 * KB
PATH_MAX = 1024
FILES_MAX = 200
SERVICES_MAX = 50
REV_MAX = 200

ServiceName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=63)]
FilePath = Annotated[str, StringConstraints(min_length=1, max_length=PATH_MAX, pattern=r"^[^\x00\n\r]+$")]
# A git revision: no leading '-' (it would be read as an option), no whitespace or control characters.
Revision = Annotated[str, StringConstraints(min_length=1, max_length=REV_MAX, pattern=r"^[^-\s\x00][^\s\x00]*$")]
SessionId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
Outcome = Literal["tried", "failed", "worked", "unknown"]


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ToolOutput(BaseModel):
    """Structured content of a tool result; ``render_text`` is the text block an agent reads."""

    def render_text(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=1, ensure_ascii=False)

    def structured(self) -> dict[str, Any]:
        """The structured content sent; a model may leave out what its output schema gives as the default."""
        return self.model_dump(mode="json")


def mirror(source: type, name: str, **narrowed: tuple[Any, Any]) -> type[BaseModel]:
    """The structured output of a result dataclass of the platforms (``platforms.deploy.Outcome``): its
    fields, in its order, with its types and defaults, so a field added there is published here without a
    second list to keep equal. ``narrowed``: field -> (type, default) where the output says more (a Literal
    for a status, a default an agent may rely on)."""
    hints = typing.get_type_hints(source)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(source):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        else:
            default = ...
        fields[f.name] = narrowed.get(f.name, (hints[f.name], default))
    return create_model(name, **fields)


# -- inputs ---------------------------------------------------------------------------------------

class ReadStateInput(ToolInput):
    detail: Literal["summary", "full"] = Field(
        "summary", description="'summary' (default): at most ~8,000 characters (~2,000 tokens), most urgent first, "
                               "and a note of what was left out. 'full': every service, attempt, session and "
                               "override the projection keeps, plus the rendered DEPLOYMENT_STATE.md.")
    observe: bool = Field(True, description="Ask each service's runtime (docker, Kubernetes, ECS, command) which "
                                            "revision it really runs and whether it is up, all at once within a few "
                                            "seconds (default). false: use the last stored observation and its age. "
                                            "An unreachable runtime is reported per service.")


class RecordAttemptInput(ToolInput):
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX,
                         description="What you did, in one or two sentences (max 16 KB). Say the change, not the goal.")
    hypothesis: str = Field("", max_length=SUMMARY_MAX, description="Why you thought it would work (max 16 KB).")
    files: list[FilePath] = Field(default_factory=list, max_length=FILES_MAX,
                                  description="Files you changed, relative to the repository root (max 200).")
    services: list[ServiceName] = Field(default_factory=list, max_length=SERVICES_MAX,
                                        description="Services involved; must be names from deploystate.toml (max 50).")
    outcome: Outcome = Field(description="'failed' (it did not fix it or broke something), 'worked' (verified), "
                                         "'tried' (done, result not known yet) or 'unknown'.")
    evidence: str = Field("", max_length=EVIDENCE_MAX,
                          description="What shows the outcome: an error line, a log excerpt, a verdict (max 32 KB). "
                                      "Secrets are redacted before anything is written.")


class CheckAttemptInput(ToolInput):
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX,
                         description="The change you are about to try, in one or two sentences (max 16 KB).")
    files: list[FilePath] = Field(default_factory=list, max_length=FILES_MAX,
                                  description="Files you intend to change (max 200); overlap counts toward a match.")
    services: list[ServiceName] = Field(default_factory=list, max_length=SERVICES_MAX,
                                        description="Services involved (max 50); must be names from deploystate.toml.")


class StartSessionInput(ToolInput):
    goal: str = Field(min_length=1, max_length=GOAL_MAX, description="What this session is for (max 4 KB).")
    client: str | None = Field(None, max_length=100,
                               description="Your client's name (claude-code, codex, cursor...); defaults to the "
                                           "name the MCP client reported.")


class EndSessionInput(ToolInput):
    session_id: SessionId = Field(description="The id start_session returned.")
    did: str = Field(min_length=1, max_length=SUMMARY_MAX, description="What you changed and deployed (max 16 KB).")
    broke: str = Field("", max_length=SUMMARY_MAX,
                       description="What is broken or unverified now, honestly; empty when nothing is (max 16 KB).")
    next: str = Field(min_length=1, max_length=SUMMARY_MAX,
                      description="What the next session should do first (max 16 KB).")


class AffectedInput(ToolInput):
    base: Revision | None = Field(None, description="Compare from this commit, branch or tag. Default: each "
                                                    "service's running commit from the ledger.")
    head: Revision | None = Field(None, description="Compare to this revision. Default: HEAD.")


# -- outputs --------------------------------------------------------------------------------------

class AttemptBrief(BaseModel):
    id: str
    ts: str = ""
    summary: str = ""
    outcome: str = "unknown"
    services: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    session: str | None = None
    score: float | None = Field(None, description="Similarity to your text, 0..1 (matches only).")
    reasons: list[str] = Field(default_factory=list, description="Why it matched (matches only).")
    similar_to: list[str] = Field(default_factory=list, description="Earlier attempts this one repeats.")


class RecordAttemptOutput(ToolOutput):
    id: str
    ts: str
    outcome: str
    signature: str | None = None
    similar: list[AttemptBrief] = Field(default_factory=list)
    warning: str | None = None

    def render_text(self) -> str:
        lines = [f"Recorded attempt {self.id} ({self.outcome})."]
        if self.warning:
            lines.append(f"WARNING: {self.warning}")
        for a in self.similar:
            lines.append(f"- looks like {a.id} ({a.ts[:16]}, {a.outcome}, score {a.score}): {a.summary[:200]}")
        return "\n".join(lines)


class CheckAttemptOutput(ToolOutput):
    tried_before: bool
    verdict: str
    matches: list[AttemptBrief] = Field(default_factory=list)

    def render_text(self) -> str:
        lines = [self.verdict]
        for a in self.matches:
            why = f" [{'; '.join(a.reasons)}]" if a.reasons else ""
            lines.append(f"- {a.id} {a.ts[:16]} → {a.outcome.upper()} (score {a.score}): {a.summary[:300]}{why}")
        return "\n".join(lines)


class EndSessionOutput(ToolOutput):
    session_id: str
    ended_at: str
    status: str

    def render_text(self) -> str:
        return f"Session {self.session_id} {self.status} at {self.ended_at[:16]}; the handoff is in the state file."


class MatchItem(BaseModel):
    file: str
    pattern: str
    rule: str
    status: str


class AffectedService(BaseModel):
    name: str
    base: str | None = Field(description="The commit compared from (None: the service was never deployed).")
    affected: bool | None = Field(description="True/False, or None when it cannot be told (no running commit, "
                                              "or that commit is not in this clone).")
    reason: str
    matches: list[MatchItem] = Field(default_factory=list)
    match_count: int = 0


class AffectedOutput(ToolOutput):
    head: str
    base_mode: Literal["given", "running commit"]
    services: list[AffectedService]
    unmatched_files: list[str] = Field(default_factory=list, description="Changed files no service claims.")
    unmatched_count: int = 0

    def render_text(self) -> str:
        lines = [f"Against {self.head[:10]} ({'from ' + self.services[0].base[:10] if self.base_mode == 'given' and self.services and self.services[0].base else 'from each running commit'}):"]
        for s in self.services:
            mark = {True: "AFFECTED", False: "not affected", None: "UNKNOWN"}[s.affected]
            lines.append(f"- {s.name}: {mark} — {s.reason}")
            for m in s.matches[:10]:
                lines.append(f"    {m.status} {m.file} (matches {m.pattern!r}{'' if m.rule == 'paths' else ', ' + m.rule})")
            if s.match_count > 10:
                lines.append(f"    … {s.match_count - 10} more files")
        if self.unmatched_count:
            lines.append(f"Changed files no service claims ({self.unmatched_count}): "
                         + ", ".join(self.unmatched_files[:20]))
        return "\n".join(lines)
