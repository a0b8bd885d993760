"""The data model (SQLAlchemy 2, typed).

The schema is created and upgraded by the alembic migrations in ``tracker/migrations``;
these classes are the one description both the migrations and the code are checked against
(``tests/test_migrations.py`` compares them).

Identity of a recommendation (used by every importer): state under review, session,
whitespace- and case-normalised text, response and action category. ``Recommendation.
identity`` holds a digest of those, unique, so that re-importing a file finds every row it
already holds with one indexed lookup.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that migrations can refer to them on SQLite and PostgreSQL.
# Ids are INTEGER columns: PostgreSQL's 4-byte int. A larger number (a typed or crafted URL,
# a command-line argument) names no row; asked of the database it would raise instead
# (SQLite: "Python int too large", PostgreSQL: "out of range for type integer").
MAX_ID = 2**31 - 1


def valid_id(value: object) -> bool:
    """True when ``value`` is a whole number that can be a row id (1 to :data:`MAX_ID`)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def parse_id(raw: str | None) -> int | None:
    """The row id written in ``raw`` (ASCII digits, 1 to :data:`MAX_ID`), else None."""
    text = (raw or "").strip()
    # isdigit() alone accepts "²" and other digits int() refuses; the length bounds int().
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if valid_id(value) else None


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# The order of a recommendation's history, the order that decides its current status:
# assessment date, then entry time, then id. Spelled here once, below everything that uses it
# (tracker.assessments.history_order, history_key; this module's relationship).
HISTORY_ORDER: tuple[str, str, str] = ("assessed_on", "created_at", "id")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


recommendation_states = Table(
    "recommendation_state",
    Base.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("state_id", ForeignKey("state.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

recommendation_themes = Table(
    "recommendation_theme",
    Base.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("theme_id", ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True),
)

recommendation_sdgs = Table(
    "recommendation_sdg",
    Base.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sdg_id", ForeignKey("sdg.id", ondelete="CASCADE"), primary_key=True, index=True),
)

recommendation_groups = Table(
    "recommendation_group",
    Base.metadata,
    Column(
        "recommendation_id",
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "group_id",
        ForeignKey("affected_group.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class State(Base):
    """A UN member or observer state, keyed by ISO 3166-1 alpha-3."""

    __tablename__ = "state"

    id: Mapped[int] = mapped_column(primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))  # short name, as people write it
    un_name: Mapped[str] = mapped_column(String(200))  # UN official short name
    regional_group: Mapped[str | None] = mapped_column(String(20))

    reviews: Mapped[list[Review]] = relationship(back_populates="state")

    def __repr__(self) -> str:
        return f"State({self.iso3} {self.name!r})"


class Review(Base):
    """One UPR review of one state in one cycle."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("state_id", "cycle", name="uq_review_state_cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("state.id", ondelete="RESTRICT"))
    cycle: Mapped[int] = mapped_column(Integer, index=True)
    session: Mapped[int] = mapped_column(Integer, index=True)
    review_date: Mapped[dt.date | None] = mapped_column(Date)
    report_symbol: Mapped[str | None] = mapped_column(String(40))
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    state: Mapped[State] = relationship(back_populates="reviews")
    recommendations: Mapped[list[Recommendation]] = relationship(back_populates="review")


class Theme(Base):
    """A theme or issue (UPR Info's 56 issues, OHCHR's themes)."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Sdg(Base):
    """A Sustainable Development Goal or target, e.g. ``16`` or ``16.2``."""

    __tablename__ = "sdg"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    label: Mapped[str | None] = mapped_column(String(400))


class AffectedGroup(Base):
    """A group of affected persons (OHCHR's "Affected Persons")."""

    __tablename__ = "affected_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class ImportRun(Base):
    """One import of one file: where each recommendation came from."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(100))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class Recommendation(Base):
    """A recommendation made to a state under review, by one or more recommending states."""

    __tablename__ = "recommendation"
    __table_args__ = (
        CheckConstraint(
            "action_category IS NULL OR action_category BETWEEN 1 AND 5",
            name="action_category_range",
        ),
        # Partial: holds only the sample records, so "is there sample data?" (asked on every
        # page) is one look-up instead of a scan of the whole table (migration 0003).
        Index(
            "ix_recommendation_is_sample",
            "is_sample",
            sqlite_where=text("is_sample IS 1"),
            postgresql_where=text("is_sample IS TRUE"),
        ),
        # Covering for the counts by review, response and status (every chart, `stats`) and
        # the partially implemented and stale lists:
        # they read this index instead of the table with its texts; it serves the look-ups
        # by review as the plain review_id index did (migration 0004 replaces that one).
        Index(
            "ix_recommendation_review_status",
            "review_id",
            "response",
            "current_status",
            "current_assessed_on",
        ),
        # Covering for the whole corpus' counts by recommending state and theme (joined to
        # the link tables by id): PostgreSQL reads this index instead of the table with its
        # texts (1.3 GB at a million recommendations; migration 0010). SQLite's indexes
        # carry the rowid, so ix_recommendation_review_status already covered them there.
        # The review too (migration 0013): one recommending state's recommendations counted
        # by review look each id up here, not in the table (0.69 s -> 0.18 s for 110,000).
        Index("ix_recommendation_id_status_review", "id", "current_status", "review_id"),
        # The partially implemented (the Flagged page's first list, by theme and cycle) read
        # from a tenth of this index instead of the whole table with its texts (migration
        # 0012; a sequential scan of 1.3 GB at a million recommendations on PostgreSQL).
        Index("ix_recommendation_status_review", "current_status", "review_id", "id"),
        # Partial: the few regressed and contested recommendations (migration 0004).
        Index(
            "ix_recommendation_regressed",
            "regressed_from_id",
            sqlite_where=text("regressed_from_id IS NOT NULL"),
            postgresql_where=text("regressed_from_id IS NOT NULL"),
        ),
        Index(
            "ix_recommendation_contested",
            "contested",
            sqlite_where=text("contested IS 1"),
            postgresql_where=text("contested IS TRUE"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed with response and current_status (ix_recommendation_review_status, below).
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="RESTRICT"))
    paragraph: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    identity: Mapped[str] = mapped_column(String(64), unique=True)
    # Not indexed: five values, and an index on it misled SQLite's planner into reading half
    # the table for one country's supported recommendations (migration 0003 drops it).
    response: Mapped[str | None] = mapped_column(String(20))
    action_category: Mapped[int | None] = mapped_column(Integer)
    # The latest assessment (in HISTORY_ORDER), kept by
    # tracker.assessments.refresh_current_status on every write that adds assessments.
    current_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL", use_alter=True), index=True
    )
    # Derived from the assessments, kept with current_assessment_id by the same function
    # (migration 0004): the charts, counts and flags of a whole corpus read one table instead
    # of joining 500,000 assessments or walking each recommendation's history per page view.
    # Never written anywhere else; no version bump (an assessment is no edit of the text).
    current_status: Mapped[str | None] = mapped_column(String(30))  # the current one's status
    current_assessed_on: Mapped[dt.date | None] = mapped_column(Date)  # and its date
    # The earlier assessment this one regressed from (tracker.flags: "regressed"), or None.
    regressed_from_id: Mapped[int | None] = mapped_column(Integer)
    # Sources disagree within the default window (tracker.flags: "contested").
    contested: Mapped[bool] = mapped_column(Boolean, server_default="0")
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_run.id", ondelete="SET NULL")
    )
    source_row: Mapped[int | None] = mapped_column(Integer)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own hook

    review: Mapped[Review] = relationship(back_populates="recommendations")
    recommending_states: Mapped[list[State]] = relationship(
        secondary=recommendation_states, order_by="State.name"
    )
    themes: Mapped[list[Theme]] = relationship(secondary=recommendation_themes)
    sdgs: Mapped[list[Sdg]] = relationship(secondary=recommendation_sdgs)
    affected_groups: Mapped[list[AffectedGroup]] = relationship(secondary=recommendation_groups)
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="recommendation",
        foreign_keys="Assessment.recommendation_id",
        order_by=lambda: [getattr(Assessment, name) for name in HISTORY_ORDER],
        passive_deletes=True,
    )
    current_assessment: Mapped[Assessment | None] = relationship(
        foreign_keys=[current_assessment_id], post_update=True
    )


class Assessment(Base):
    """One source's dated judgement of how far a recommendation is implemented.

    Append-only: a correction is a new assessment, or a retraction (``retracts_id`` names
    the assessment withdrawn), never an update (but for the derived ``previous_status``).
    """

    __tablename__ = "assessment"
    __table_args__ = (
        Index("ix_assessment_rec_date", "recommendation_id", "assessed_on", "created_at"),
        # Covering for the status history by day (tracker.progress.status_over_time): read in
        # date order with no table access, no sort and no window (migration 0004; it replaces
        # the plain assessed_on index, its first column).
        Index(
            "ix_assessment_history",
            "assessed_on",
            "status",
            "previous_status",
            "recommendation_id",
        ),
        # Partial indexes (migration 0003): the few retractions, read by every "does this
        # assessment count?" test, and the sample assessments.
        Index(
            "ix_assessment_retracts_id",
            "retracts_id",
            sqlite_where=text("retracts_id IS NOT NULL"),
            postgresql_where=text("retracts_id IS NOT NULL"),
        ),
        Index(
            "ix_assessment_is_sample",
            "is_sample",
            sqlite_where=text("is_sample IS 1"),
            postgresql_where=text("is_sample IS TRUE"),
        ),
        # Partial (migration 0007): the few private assessments and drafts, so that the
        # status history (tracker.progress) leaves them out reading indexes only; the drafts
        # one also lists the drafts awaiting review.
        Index(
            "ix_assessment_is_private",
            "is_private",
            sqlite_where=text("is_private IS 1"),
            postgresql_where=text("is_private IS TRUE"),
        ),
        Index(
            "ix_assessment_is_draft",
            "is_draft",
            sqlite_where=text("is_draft IS 1"),
            postgresql_where=text("is_draft IS TRUE"),
        ),
        # Partial and covering (migration 0009): each source type's latest public
        # assessment of each recommendation, counted by type and status for the Progress
        # page's "by source type" without reading the table or ranking every history.
        Index(
            "ix_assessment_latest_of_type",
            "source_type",
            "status",
            "recommendation_id",
            sqlite_where=text("latest_of_type IS 1"),
            postgresql_where=text("latest_of_type IS TRUE"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(30))  # four values: not indexed (0003)
    assessed_on: Mapped[dt.date] = mapped_column(Date)  # indexed: ix_assessment_history
    source_org: Mapped[str] = mapped_column(String(300))
    evidence: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(1000))
    author: Mapped[str | None] = mapped_column(String(100))
    retracts_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="SET NULL")
    )
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Derived, kept by tracker.assessments.refresh_current_status: the status of the
    # recommendation's counting assessment just before this one (None: the first). Read
    # only for counting assessments (no retraction, not retracted); None for the others.
    previous_status: Mapped[str | None] = mapped_column(String(30))
    # Migration 0007 (tracker.evidence): who speaks (vocab.SourceType; "other" for the
    # assessments made before), how sure the assessor is (vocab.Confidence, optional).
    source_type: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    confidence: Mapped[str | None] = mapped_column(String(10))
    # Private evidence: shown to editors and admins only, never counted in the public
    # current status (docs/evidence.md states the rule).
    is_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Draft awaiting a second account's review (the per-database review setting); a draft
    # never counts. Published ones name who published them and when.
    is_draft: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    published_by: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Derived, kept by tracker.assessments.refresh_current_status (migration 0009): True on
    # the latest counting public assessment of its recommendation by its source type (what
    # tracker.evidence.status_by_source_type counts), False on every other. No Python
    # default: the importer's bulk INSERT lists only the columns it writes.
    latest_of_type: Mapped[bool] = mapped_column(Boolean, server_default="0")

    recommendation: Mapped[Recommendation] = relationship(
        back_populates="assessments", foreign_keys=[recommendation_id]
    )


class StatusDay(Base):
    """The status history of the whole corpus as changes per day, kept (migration 0010):
    what the Progress page's "status over time" sums, without reading every assessment.

    For each day with counting assessments (not a retraction, not retracted, not private,
    not a draft): one row per status whose count changed that day (``change``: the day's
    assessments in that status less those whose ``previous_status`` it was), and always one
    row with ``status`` "" whose ``change`` is how many recommendations were assessed for
    the first time. Kept by :func:`tracker.status_days.keep_status_days`, from
    ``tracker.assessments.refresh_current_status``; derived, never edited."""

    __tablename__ = "status_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    change: Mapped[int] = mapped_column(Integer)


class KeptStateStatus(Base):
    """The whole corpus' recommendation–state links per recommending state and current
    status ("" = not assessed), kept exact by database triggers (migration 0011); derived,
    never written by the application except :func:`tracker.kept_links.recount`. A count
    may be 0 (readers skip it)."""

    __tablename__ = "kept_state_status"

    state_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class KeptThemeStatus(Base):
    """The whole corpus' recommendation–theme links per theme and current status, and under
    theme_id :data:`NO_THEME` (0) the recommendations without a theme: kept by triggers
    (migration 0011), like :class:`KeptStateStatus`."""

    __tablename__ = "kept_theme_status"

    theme_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class KeptGroupStatus(Base):
    """The whole corpus' recommendations made by at least one state of each regional group
    ("" = a state without one), per current status: kept by triggers (migration 0011), like
    :class:`KeptStateStatus`."""

    __tablename__ = "kept_group_status"

    regional_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


NO_THEME = 0  # KeptThemeStatus.theme_id of the recommendations without a theme
KEPT_LINK_TABLES = ("kept_state_status", "kept_theme_status", "kept_group_status")


class ReviewCount(Base):
    """How many recommendations each review holds per response and current status, kept
    by database triggers on ``recommendation`` (migration 0012): what the Overview, the
    Progress page and ``stats`` sum for the whole corpus or a choice of reviews, without
    reading every recommendation (tracker.kept_reviews).

    ``response`` "" stands for none and ``status`` "" for never assessed (a primary key
    holds no NULL). Rows reaching 0 are kept; readers skip them. Derived, never edited,
    left out of backups (recounted on restore)."""

    __tablename__ = "review_count"

    review_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    response: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class AssessmentCount(Base):
    """How many assessments the database holds (every one: drafts, private ones, retracted
    and retractions alike), kept by PostgreSQL triggers on ``assessment`` (migration 0013)
    in its one row (id 1): the whole corpus' headline figure (``stats``, the Overview)
    without counting 3.3 million rows (tracker.kept_assessments; empty on SQLite, which
    counts). Derived, never edited, left out of backups (recounted on restore)."""

    __tablename__ = "assessment_count"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)


class KeptPartialTheme(Base):
    """The partially implemented recommendations' theme links per theme and review, theme
    :data:`NO_THEME` (0) counting those without a theme, kept by database triggers
    (migration 0013): the Flagged page's whole corpus by theme and cycle without joining
    every theme link (tracker.kept_partial). Rows reaching 0 are kept; readers skip them.
    Derived, never edited, left out of backups (recounted on restore)."""

    __tablename__ = "kept_partial_theme"

    theme_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    review_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)


class _SuggestedPair:
    """The columns both kinds of suggested pair share (tracker.link_store handles them alike):
    score, decision, who took it and when. sort_order keeps the migrations' column order."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    score: Mapped[float] = mapped_column(Float, sort_order=1)
    status: Mapped[str] = mapped_column(String(20), default="suggested", sort_order=1)  # LinkStatus
    decided_by: Mapped[str | None] = mapped_column(String(100), sort_order=1)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, sort_order=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, sort_order=1)


class RecommendationLink(_SuggestedPair, Base):
    """An earlier recommendation repeated by a later one (in a later cycle)."""

    __tablename__ = "recommendation_link"
    __table_args__ = (
        UniqueConstraint("earlier_id", "later_id", name="uq_link_pair"),
        CheckConstraint("earlier_id <> later_id", name="not_self"),
    )

    earlier_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), index=True
    )
    later_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), index=True
    )


class PlannedAction(Base):
    """One step of a national implementation plan for a recommendation: what is to be done,
    by whom, by when, how progress is measured, and where it stands (migration 0006).

    Edited in place (tracker.plans) with optimistic locking: every change is audited with
    its before and after values, so the audit trail holds the plan's history."""

    __tablename__ = "planned_action"
    __table_args__ = (
        # The overdue flag and the "due in the next 30 days" list read the open actions by
        # due date; completed ones are never read by date.
        Index(
            "ix_planned_action_open_due",
            "due_on",
            sqlite_where=text("completed_on IS NULL"),
            postgresql_where=text("completed_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(Text)  # what is to be done
    responsible: Mapped[str | None] = mapped_column(String(300))  # the responsible body
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    indicator: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[str | None] = mapped_column(Text)  # the latest progress note
    completed_on: Mapped[dt.date | None] = mapped_column(Date)  # None: still open
    author: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own hook


class AuditEvent(Base):
    """Who changed what, when: one row per write."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50), index=True)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class User(Base):
    """An account on a shared instance (no account at all means local single-user mode)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))  # vocab.Role
    language: Mapped[str | None] = mapped_column(String(10))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SavedReport(Base):
    """A stakeholder report's settings and the organisation's own recommendations."""

    __tablename__ = "saved_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    own_recommendations: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Meta(Base):
    """Key/value facts about the database, e.g. ``data_version`` (bumped by every write)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


__all__ = [
    "KEPT_LINK_TABLES",
    "NO_THEME",
    "AffectedGroup",
    "Assessment",
    "AuditEvent",
    "Base",
    "ImportRun",
    "KeptGroupStatus",
    "KeptStateStatus",
    "KeptThemeStatus",
    "Meta",
    "PlannedAction",
    "Recommendation",
    "RecommendationLink",
    "Review",
    "ReviewCount",
    "SavedReport",
    "Sdg",
    "State",
    "StatusDay",
    "Theme",
    "User",
    "recommendation_groups",
    "recommendation_sdgs",
    "recommendation_states",
    "recommendation_themes",
    "utcnow",
]


class ReportOutline(Base):
    """A named draft of a stakeholder report's outline (:mod:`tracker.submission.outline`)
    for one state under review: its sections, narrative and own recommendations (migration
    0008)."""

    __tablename__ = "report_outline"
    __table_args__ = (UniqueConstraint("state_id", "title", name="uq_outline_state_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("state.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(300), default="")
    session: Mapped[int] = mapped_column(Integer)  # the UPR session the report is for
    outline: Mapped[dict[str, Any]] = mapped_column(JSON)  # Outline.to_json()
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)  # ReportSettings.to_json()
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class OwnRecommendation(Base):
    """One of the organisation's own recommendations, saved with an outline, for the review
    it was written for: followed into the recommendations that review made (migration 0008)."""

    __tablename__ = "own_recommendation"

    id: Mapped[int] = mapped_column(primary_key=True)
    outline_id: Mapped[int] = mapped_column(
        ForeignKey("report_outline.id", ondelete="CASCADE"), index=True
    )
    state_id: Mapped[int] = mapped_column(ForeignKey("state.id", ondelete="CASCADE"), index=True)
    session: Mapped[int] = mapped_column(Integer)  # the review it was written for
    organisation: Mapped[str] = mapped_column(String(300), default="")
    section: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OwnRecommendationLink(_SuggestedPair, Base):
    """A UN recommendation that took up one of the organisation's own (suggested by the
    repeat scoring of :mod:`tracker.linking`, then confirmed or rejected by a person)."""

    __tablename__ = "own_recommendation_link"
    __table_args__ = (UniqueConstraint("own_id", "recommendation_id", name="uq_own_link_pair"),)

    own_id: Mapped[int] = mapped_column(
        ForeignKey("own_recommendation.id", ondelete="CASCADE"), index=True
    )
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), index=True
    )
