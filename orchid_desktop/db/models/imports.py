"""Import batches (undoable), what each one changed, and remembered column mappings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orchid_desktop.domain.vocab import DuplicatePolicy, ImportStatus, ImportTarget

from .base import Base, enum_column, utcnow


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    source_label: Mapped[str] = mapped_column(String(200), default="")
    target: Mapped[ImportTarget] = mapped_column(enum_column(ImportTarget, "target"))
    on_duplicate: Mapped[DuplicatePolicy] = mapped_column(
        enum_column(DuplicatePolicy, "on_duplicate")
    )
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "status"), default=ImportStatus.COMMITTED
    )
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class ImportBatchChange(Base):
    """What undo needs: a created row to remove, or an updated row's previous values."""

    __tablename__ = "import_batch_changes"
    __table_args__ = (Index(None, "batch_id", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(40))  # "lead" or "contact"
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(10))  # "created" or "updated"
    previous_values: Mapped[dict[str, Any] | None]


class ImportMapping(Base):
    """A column mapping remembered per source, found again by the file's header
    signature (a hash of its normalised headers)."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    header_signature: Mapped[str] = mapped_column(String(64), unique=True)
    source_label: Mapped[str] = mapped_column(String(200), default="")
    mapping: Mapped[dict[str, Any]]
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
