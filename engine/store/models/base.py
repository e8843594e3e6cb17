"""The declarative base, column types, and the levels and roles every scope rule is phrased in."""

from __future__ import annotations

import json
import re
import uuid
import zlib
from datetime import UTC
from typing import Any

import brotli
import msgpack
from sqlalchemy import (
    JSON,
    DateTime,
    LargeBinary,
    Numeric,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, registry

JSONType = JSON().with_variant(JSONB(), "postgresql")
# Money in yuan, exact to the fen (engine/store/amounts.py rounds before it is stored).
Money = Numeric(12, 2, asdecimal=True)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, also on SQLite, which stores no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: the engine works in aware UTC")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


BROTLI = 7  # PackedJSON's quality (its docstring says why)


class PackedJSON(TypeDecorator):
    """JSON kept Brotli-compressed: for a document written once, read whole and never queried
    inside (a case's application: 989 bytes of JSON text in 472, where zlib took 550).

    Quality 7 (BROTLI): within 8 % of Brotli's smallest output for an application at a
    twentieth of its time, and faster than zlib's best (a yearly review packs one per
    household). Values packed with zlib before 2026-12 are still read (a zlib stream's first
    byte names method 8 in its low nibble; a Brotli stream with a 4 MB window has 0xB there)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return brotli.compress(text.encode("utf-8"), quality=BROTLI, lgwin=22)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # a row written as JSON text before it was packed
            return json.loads(value)
        value = bytes(value)
        if _is_zlib(value):
            return json.loads(zlib.decompress(value))
        return json.loads(brotli.decompress(value))


def _is_zlib(blob: bytes) -> bool:
    """A zlib header (RFC 1950): method 8 in the low nibble, the two bytes a multiple of 31."""
    return len(blob) > 2 and blob[0] & 0x0F == 8 and int.from_bytes(blob[:2], "big") % 31 == 0


_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def _digests_raw(value: Any) -> Any:
    if isinstance(value, str):
        return bytes.fromhex(value) if _HEX_DIGEST.fullmatch(value) else value
    if isinstance(value, dict):
        return {str(k): _digests_raw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_digests_raw(v) for v in value]
    return value


def _digests_hex(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _digests_hex(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_digests_hex(v) for v in value]
    return value


class PackedChanges(TypeDecorator):
    """A JSON document kept as MessagePack, its SHA-256 hex digests as their 32 raw bytes:
    for an audit event's changes (mostly a form's or an application's digest), about 60 bytes
    instead of JSONB's 110. The engine reads and writes the same JSON values (dicts, lists,
    strings, numbers), so hashes over them are unchanged; keys are strings, as in JSON."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        try:
            return msgpack.packb(_digests_raw(value), use_bin_type=True)
        except (TypeError, OverflowError, ValueError) as exc:
            raise ValueError(f"changes are not JSON: {exc}") from exc

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return _digests_hex(msgpack.unpackb(bytes(value), raw=False))


class HexDigest(TypeDecorator):
    """A hex digest (SHA-256: 64 characters) kept as its raw bytes, half the size; the
    engine still reads and writes the hex string, so hashing and comparing are unchanged."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, bytes | memoryview):
            return value
        return bytes.fromhex(value)  # ValueError on anything but hex: never stored garbled

    def process_result_value(self, value, dialect):
        if value is None or isinstance(value, str):  # str: a row not yet converted
            return value
        return bytes(value).hex()


class TaskUUID(TypeDecorator):
    """A UUID kept in 16 bytes (PostgreSQL's uuid, a 16-byte blob elsewhere) instead of its
    36-character text; the engine still sees the canonical string SpiffWorkflow prints."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(UUID(as_uuid=False))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        canonical = uuid.UUID(str(value))  # ValueError on anything that is not a UUID
        return str(canonical) if dialect.name == "postgresql" else canonical.bytes

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, str):  # PostgreSQL's uuid, or a row not yet converted
            return str(uuid.UUID(value))
        return str(uuid.UUID(bytes=bytes(value)))


LEVELS = ("province", "city", "district", "township", "village", "assessor")
LEVEL_NAMES = {
    "province": "省",
    "city": "市",
    "district": "区（县）",
    "township": "镇（街道）",
    "village": "村（居）",
    "assessor": "第三方评估机构",
}
ROLES = ("clerk", "village", "township", "district", "assessor", "admin", "designer")
ROLE_NAMES = {
    "clerk": "镇（街道）受理窗口",
    "village": "村级经办人",
    "township": "镇（街道）审核人",
    "district": "区级审批人",
    "assessor": "第三方评估人员",
    "admin": "系统管理员",
    "designer": "流程设计人员",
}
# The level of org a user of each role must belong to; None means any level.
ROLE_ORG_LEVEL = {
    "clerk": "township",
    "village": "village",
    "township": "township",
    "district": "district",
    "assessor": "assessor",
    "admin": None,
    "designer": None,
}
# The task level (BPMN lane) each role works.
ROLE_TASK_LEVEL = {
    "village": "village",
    "township": "township",
    "district": "district",
    "assessor": "assessor",
}
OFFICIAL_ROLES = ("clerk", "village", "township", "district", "assessor", "admin")
CASE_STATUSES = ("running", "approved", "rejected", "withdrawn", "exited")


class Base(DeclarativeBase):
    registry = registry(type_annotation_map={dict[str, Any]: JSONType, list[Any]: JSONType})
