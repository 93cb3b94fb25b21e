"""Agora AccessToken2 ("007") builder and parser, standard library only.

Layout of a token: ``"007" + base64(zlib(pack_string(signature) + signing_info))`` where

    signing_info = pack_string(app_id) + uint32 issue_ts + uint32 expire + uint32 salt
                   + uint16 service_count + services (sorted by service type)
    service      = uint16 type + map<uint16 privilege, uint32 expire> + type-specific fields
    signing key  = HMAC-SHA256(key=uint32 salt, msg=HMAC-SHA256(key=uint32 issue_ts, msg=app_certificate))
    signature    = HMAC-SHA256(key=signing key, msg=signing_info)

All integers are little-endian; strings and byte strings carry a uint16 length prefix. ``expire`` values
(of the token and of each privilege) are seconds relative to ``issue_ts``. The app certificate is used
as its ASCII text, not hex-decoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

VERSION = "007"
SALT_MAX = 99_999_999
UINT32_MAX = 0xFFFFFFFF


class ServiceType(IntEnum):
    RTC = 1
    RTM = 2
    STREAMING = 3
    FPA = 4
    CHAT = 5
    FCDN = 6
    APAAS = 7
    RTM2 = 8


class RtcPrivilege(IntEnum):
    JOIN_CHANNEL = 1
    PUBLISH_AUDIO_STREAM = 2
    PUBLISH_VIDEO_STREAM = 3
    PUBLISH_DATA_STREAM = 4


class RtmPrivilege(IntEnum):
    LOGIN = 1


# Privilege names per service type, as Agora's builders call them.
PRIVILEGE_NAMES: dict[ServiceType, dict[str, int]] = {
    ServiceType.RTC: {p.name.lower(): p.value for p in RtcPrivilege},
    ServiceType.RTM: {"login": 1},
    ServiceType.STREAMING: {"publish_mix_stream": 1, "publish_raw_stream": 2},
    ServiceType.FPA: {"login": 1},
    ServiceType.CHAT: {"user": 1, "app": 2},
    ServiceType.FCDN: {"publish_mix_stream": 1, "publish_raw_stream": 2},
    ServiceType.APAAS: {"room_user": 1, "user": 2, "app": 3},
    ServiceType.RTM2: {"login": 1},
}

_STR = "str"
_INT16 = "int16"
_PERMISSIONS = "permissions"  # map<uint16, map<uint16, list<str>>> (RTM2)

# Fields packed after the privilege map, in order.
SERVICE_FIELDS: dict[ServiceType, tuple[tuple[str, str], ...]] = {
    ServiceType.RTC: (("channel_name", _STR), ("uid", _STR)),
    ServiceType.RTM: (("user_id", _STR),),
    ServiceType.STREAMING: (("channel_name", _STR), ("account", _STR)),
    ServiceType.FPA: (),
    ServiceType.CHAT: (("user_id", _STR),),
    ServiceType.FCDN: (("channel_name", _STR), ("account", _STR)),
    ServiceType.APAAS: (("room_uuid", _STR), ("user_uuid", _STR), ("role", _INT16)),
    ServiceType.RTM2: (("user_id", _STR), ("permissions", _PERMISSIONS)),
}


class TokenError(ValueError):
    """A token could not be built or read."""


@dataclass(frozen=True)
class Service:
    """One service of a token: its type, privileges (id -> expire seconds after issue) and fields."""

    type: ServiceType
    privileges: Mapping[int, int]
    fields: Mapping[str, Any] = field(default_factory=dict)

    def privilege_names(self) -> dict[str, int]:
        names = {v: k for k, v in PRIVILEGE_NAMES.get(self.type, {}).items()}
        return {names.get(pid, str(pid)): expire for pid, expire in sorted(self.privileges.items())}


@dataclass(frozen=True)
class ParsedToken:
    app_id: str
    issue_ts: int
    expire: int
    salt: int
    signature: bytes
    services: tuple[Service, ...]
    signing_info: bytes

    @property
    def expires_at_ts(self) -> int:
        return self.issue_ts + self.expire

    def service(self, service_type: ServiceType) -> Service | None:
        return next((s for s in self.services if s.type == service_type), None)

    def verify(self, app_certificate: str) -> bool:
        expected = _sign(app_certificate, self.issue_ts, self.salt, self.signing_info)
        return hmac.compare_digest(expected, self.signature)


# --- packing -----------------------------------------------------------------------------------------


def _uint16(value: int) -> bytes:
    return struct.pack("<H", value)


def _uint32(value: int) -> bytes:
    return struct.pack("<I", value)


def _bytes(value: bytes) -> bytes:
    if len(value) > 0xFFFF:
        raise TokenError("A token field is too long.")
    return _uint16(len(value)) + value


def _string(value: str) -> bytes:
    return _bytes(value.encode("utf-8"))


def _pack_field(kind: str, value: Any) -> bytes:
    if kind == _STR:
        return _string(str(value))
    if kind == _INT16:
        return struct.pack("<h", int(value))
    # RTM2 permissions: {kind: {scope: [names]}}
    out = _uint16(len(value))
    for key, scopes in sorted(value.items(), key=lambda kv: int(kv[0])):
        out += _uint16(int(key)) + _uint16(len(scopes))
        for scope, names in sorted(scopes.items(), key=lambda kv: int(kv[0])):
            out += _uint16(int(scope)) + _uint16(len(names)) + b"".join(_string(n) for n in names)
    return out


def _pack_service(service: Service) -> bytes:
    out = _uint16(service.type) + _uint16(len(service.privileges))
    for pid, expire in sorted(service.privileges.items()):
        out += _uint16(pid) + _uint32(_check_uint32(expire, "privilege expire"))
    for name, kind in SERVICE_FIELDS[service.type]:
        out += _pack_field(kind, service.fields.get(name, {} if kind == _PERMISSIONS else ""))
    return out


def _check_uint32(value: int, what: str) -> int:
    if not 0 <= value <= UINT32_MAX:
        raise TokenError(f"{what} must fit in 32 bits, got {value}.")
    return value


def _is_hex32(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdefABCDEF" for c in value)


def _sign(app_certificate: str, issue_ts: int, salt: int, signing_info: bytes) -> bytes:
    key = hmac.new(_uint32(issue_ts), app_certificate.encode("utf-8"), hashlib.sha256).digest()
    key = hmac.new(_uint32(salt), key, hashlib.sha256).digest()
    return hmac.new(key, signing_info, hashlib.sha256).digest()


def rtc_uid_text(uid: int | str) -> str:
    """Agora packs a numeric uid as decimal text; uid 0 (any user) becomes the empty string."""
    if isinstance(uid, int):
        if not 0 <= uid <= UINT32_MAX:
            raise TokenError("An RTC uid must be between 0 and 4294967295.")
        return "" if uid == 0 else str(uid)
    return uid


def build_token(
    *,
    app_id: str,
    app_certificate: str,
    services: Iterable[Service],
    expire: int,
    issue_ts: int | None = None,
    salt: int | None = None,
) -> str:
    """Build a signed AccessToken2 string holding ``services`` (at most one per type)."""
    if not _is_hex32(app_id) or not _is_hex32(app_certificate):
        raise TokenError("The Agora app ID and app certificate must each be 32 hexadecimal characters.")
    by_type: dict[int, Service] = {}
    for service in services:
        if service.type in by_type:
            raise TokenError(f"Service {service.type.name} appears twice.")
        by_type[int(service.type)] = service
    if not by_type:
        raise TokenError("A token needs at least one service.")
    issue_ts = int(time.time()) if issue_ts is None else issue_ts
    salt = secrets.randbelow(SALT_MAX) + 1 if salt is None else salt
    signing_info = (
        _string(app_id)
        + _uint32(_check_uint32(issue_ts, "issue_ts"))
        + _uint32(_check_uint32(expire, "expire"))
        + _uint32(_check_uint32(salt, "salt"))
        + _uint16(len(by_type))
        + b"".join(_pack_service(by_type[t]) for t in sorted(by_type))
    )
    signature = _sign(app_certificate, issue_ts, salt, signing_info)
    return VERSION + base64.b64encode(zlib.compress(_bytes(signature) + signing_info)).decode("ascii")


def rtc_service(
    *, channel_name: str, uid: int | str, privilege_expire: int, publish_audio: bool, publish_video: bool
) -> Service:
    """RTC service: join always; publish audio/video (and data, with any publishing) only when asked."""
    privileges = {RtcPrivilege.JOIN_CHANNEL: privilege_expire}
    if publish_audio:
        privileges[RtcPrivilege.PUBLISH_AUDIO_STREAM] = privilege_expire
    if publish_video:
        privileges[RtcPrivilege.PUBLISH_VIDEO_STREAM] = privilege_expire
    if publish_audio or publish_video:
        privileges[RtcPrivilege.PUBLISH_DATA_STREAM] = privilege_expire
    fields = {"channel_name": channel_name, "uid": rtc_uid_text(uid)}
    return Service(ServiceType.RTC, {int(k): v for k, v in privileges.items()}, fields)


def rtm_service(*, user_id: str, privilege_expire: int) -> Service:
    if not user_id:
        raise TokenError("An RTM user id must not be empty.")
    return Service(ServiceType.RTM, {int(RtmPrivilege.LOGIN): privilege_expire}, {"user_id": user_id})


def build_rtc_token(
    *,
    app_id: str,
    app_certificate: str,
    channel_name: str,
    uid: int | str,
    publisher: bool,
    expire: int,
    publish_video: bool = True,
    issue_ts: int | None = None,
    salt: int | None = None,
) -> str:
    """RTC token: a subscriber may only join; a publisher may also publish audio, data and (if allowed) video."""
    service = rtc_service(
        channel_name=channel_name,
        uid=uid,
        privilege_expire=expire,
        publish_audio=publisher,
        publish_video=publisher and publish_video,
    )
    return build_token(
        app_id=app_id, app_certificate=app_certificate, services=[service], expire=expire, issue_ts=issue_ts, salt=salt
    )


def build_rtm_token(
    *,
    app_id: str,
    app_certificate: str,
    user_id: str,
    expire: int,
    issue_ts: int | None = None,
    salt: int | None = None,
) -> str:
    service = rtm_service(user_id=user_id, privilege_expire=expire)
    return build_token(
        app_id=app_id, app_certificate=app_certificate, services=[service], expire=expire, issue_ts=issue_ts, salt=salt
    )


# --- parsing -----------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise TokenError("The token is truncated.")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def uint16(self) -> int:
        return int(struct.unpack("<H", self.take(2))[0])

    def int16(self) -> int:
        return int(struct.unpack("<h", self.take(2))[0])

    def uint32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def bytes_(self) -> bytes:
        return self.take(self.uint16())

    def string(self) -> str:
        try:
            return self.bytes_().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TokenError("A token field is not valid UTF-8.") from exc

    def permissions(self) -> dict[int, dict[int, list[str]]]:
        result: dict[int, dict[int, list[str]]] = {}
        for _ in range(self.uint16()):
            key = self.uint16()
            scopes: dict[int, list[str]] = {}
            for _ in range(self.uint16()):
                scope = self.uint16()
                scopes[scope] = [self.string() for _ in range(self.uint16())]
            result[key] = scopes
        return result


def parse_token(token: str) -> ParsedToken:
    """Decode a token without checking its signature (see ``ParsedToken.verify``)."""
    if not isinstance(token, str) or not token.startswith(VERSION):
        raise TokenError("Not an AccessToken2 token (it must start with 007).")
    try:
        raw = zlib.decompress(base64.b64decode(token[len(VERSION) :], validate=True))
    except (binascii.Error, zlib.error, ValueError) as exc:
        raise TokenError("The token is not valid base64/zlib data.") from exc
    reader = _Reader(raw)
    signature = reader.bytes_()
    signing_info = raw[reader.pos :]
    app_id = reader.string()
    issue_ts, expire, salt = reader.uint32(), reader.uint32(), reader.uint32()
    services = []
    for _ in range(reader.uint16()):
        type_id = reader.uint16()
        try:
            service_type = ServiceType(type_id)
        except ValueError as exc:
            raise TokenError(f"Unknown service type {type_id}.") from exc
        privileges = {}
        for _ in range(reader.uint16()):
            pid = reader.uint16()
            privileges[pid] = reader.uint32()
        fields: dict[str, Any] = {}
        for name, kind in SERVICE_FIELDS[service_type]:
            fields[name] = (
                reader.string() if kind == _STR else reader.int16() if kind == _INT16 else reader.permissions()
            )
        services.append(Service(service_type, privileges, fields))
    if reader.pos != len(raw):
        raise TokenError("The token has trailing data.")
    return ParsedToken(app_id, issue_ts, expire, salt, signature, tuple(services), signing_info)


def verify_token(token: str, app_certificate: str) -> ParsedToken:
    """Decode a token and check its signature; raise ``TokenError`` if it was not signed with this certificate."""
    parsed = parse_token(token)
    if not parsed.verify(app_certificate):
        raise TokenError("The token signature does not match this app certificate.")
    return parsed


def describe_token(parsed: ParsedToken) -> list[str]:
    """Human-readable lines: app, issue/expiry times, then each service with its fields and privileges."""
    lines = [
        f"app_id: {parsed.app_id}",
        f"issued_at: {_iso(parsed.issue_ts)} ({parsed.issue_ts})",
        f"expires_at: {_iso(parsed.expires_at_ts)} (issue + {parsed.expire} s)",
    ]
    for service in parsed.services:
        fields = ", ".join(f"{k}={v!r}" for k, v in service.fields.items())
        lines.append(f"service {service.type.name.lower()}: {fields}")
        for name, expire in service.privilege_names().items():
            lines.append(f"  privilege {name}: expires {_iso(parsed.issue_ts + expire)} (issue + {expire} s)")
    return lines


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
