"""Gateway (websocket) half of the fake Discord.

Implements the parts of the Discord gateway protocol discord.py exercises: HELLO,
IDENTIFY -> READY + GUILD_CREATE, HEARTBEAT -> HEARTBEAT_ACK, RESUME with replay of
missed dispatches followed by RESUMED, sequence numbers, intent filtering
(including the message content intent), and fault injection (op 7 RECONNECT,
op 9 INVALID_SESSION, abrupt socket drops).

Dispatches are stored per *session* at dispatch time with their sequence number,
and each connection's writer task sends whatever its session has beyond what it
already sent. That single mechanism gives both live delivery and RESUME replay,
and lets synchronous code (``fake.delete_message``) emit events.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.fake_discord_world import World

logger = logging.getLogger(__name__)

# opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

# intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
GUILD_PRESENCES = 1 << 8
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

_GUILD_EVENTS = frozenset(
    {
        "GUILD_CREATE",
        "GUILD_UPDATE",
        "GUILD_DELETE",
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_ROLE_DELETE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "CHANNEL_DELETE",
        "CHANNEL_PINS_UPDATE",
        "THREAD_CREATE",
        "THREAD_UPDATE",
        "THREAD_DELETE",
        "THREAD_LIST_SYNC",
        "THREAD_MEMBER_UPDATE",
    }
)
_MESSAGE_EVENTS = frozenset(
    {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
)
_REACTION_EVENTS = frozenset({"MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"})
_CONTENT_FIELDS = ("content", "embeds", "attachments", "components", "poll")
MAX_BUFFERED_EVENTS = 20_000
"""Per-session replay buffer; a RESUME older than this gets INVALID_SESSION."""


def required_intent(event: str, data: dict[str, Any]) -> int:
    """The intent a bot needs to receive this dispatch (0 = always delivered)."""
    in_guild = bool(data.get("guild_id"))
    if event in _GUILD_EVENTS:
        return GUILDS
    if event in _MESSAGE_EVENTS:
        return GUILD_MESSAGES if in_guild else DIRECT_MESSAGES
    if event in _REACTION_EVENTS:
        return GUILD_MESSAGE_REACTIONS if in_guild else DIRECT_MESSAGE_REACTIONS
    return 0


def redact_content(data: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """Without MESSAGE_CONTENT, Discord blanks content fields except in DMs, the
    bot's own messages and messages mentioning the bot."""
    author = (data.get("author") or {}).get("id")
    mentioned = any(str(bot_id) == m.get("id") for m in data.get("mentions", []))
    if not data.get("guild_id") or author == str(bot_id) or mentioned:
        return data
    redacted = dict(data)
    for key in _CONTENT_FIELDS:
        if key in redacted:
            redacted[key] = "" if key == "content" else []
    return redacted


@dataclass
class _Session:
    session_id: str
    intents: int
    shard: list[int] | None
    events: list[tuple[int, str]] = field(default_factory=list)
    seq: int = 0
    ready_seq: int = 0
    connection: _Connection | None = None
    invalidated: bool = False

    def append(self, event: str, data: Any) -> None:
        """Assign the next sequence number and freeze the frame (replays must match)."""
        self.seq += 1
        frame = json.dumps({"op": DISPATCH, "t": event, "s": self.seq, "d": data})
        self.events.append((self.seq, frame))
        if len(self.events) > MAX_BUFFERED_EVENTS:
            del self.events[: len(self.events) - MAX_BUFFERED_EVENTS]

    def events_after(self, seq: int) -> list[tuple[int, str]]:
        """Buffered frames with a sequence number above ``seq``."""
        start = bisect.bisect_right(self.events, seq, key=lambda item: item[0])
        return self.events[start:]

    def can_replay_from(self, seq: int) -> bool:
        """Whether a RESUME from ``seq`` can be served from the buffer."""
        return seq <= self.seq and (not self.events or seq >= self.events[0][0] - 1)


class _Connection:
    """One websocket; its writer task flushes the session's events in order."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.request = request
        self.session: _Session | None = None
        self.sent_seq = 0
        self.wake = asyncio.Event()
        self._lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any] | str) -> None:
        """Send one text frame (serialized so frames never interleave)."""
        text = payload if isinstance(payload, str) else json.dumps(payload)
        async with self._lock:
            await self.ws.send_str(text)

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (client sees 1006)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class GatewayHub:
    """All gateway sessions and connections of the fake."""

    def __init__(
        self,
        world: World,
        *,
        token: Callable[[], str],
        heartbeat_interval: Callable[[], int],
        on_change: Callable[[], None],
    ) -> None:
        self.world = world
        self._on_change = on_change
        self._token = token
        self._heartbeat_interval = heartbeat_interval
        self.resume_url = ""
        self.sessions: dict[str, _Session] = {}
        self.connections: set[_Connection] = set()
        self.identify_count = 0
        self.resume_count = 0
        self.identify_payloads: list[dict[str, Any]] = []
        self.connection_paths: list[str] = []
        self.presence: dict[str, Any] | None = None
        self.enabled_privileged_intents = PRIVILEGED_INTENTS
        """Privileged intents "enabled in the developer portal"; asking for others
        closes the socket with 4014 (discord.py raises PrivilegedIntentsRequired)."""
        self._connected = asyncio.Event()

    # ------------------------------------------------------------- public
    def ever_identified(self) -> bool:
        """Whether any bot ever identified (interactions need a bot to exist; after
        that, dispatches to an offline bot are simply buffered or lost, like Discord)."""
        return self.identify_count > 0

    def is_connected(self) -> bool:
        """Whether a live connection has received READY or RESUMED."""
        return self._connected.is_set()

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        """Wait for a connection whose READY (+GUILD_CREATEs) or RESUMED was sent."""
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(f"no bot connected to the fake gateway within {timeout}s") from None

    def dispatch(self, event: str, data: dict[str, Any], *, session_id: str | None = None) -> None:
        """Queue a dispatch for every valid session whose intents allow it.

        Disconnected (resumable) sessions buffer it for replay on RESUME; a new
        IDENTIFY starts a new session, so buffered events of old sessions are lost.
        """
        need = required_intent(event, data)
        for session in list(self.sessions.values()):
            if session.invalidated or (session_id and session.session_id != session_id):
                continue
            if need and not session.intents & need:
                continue
            payload = data
            if (
                event in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
                and not session.intents & MESSAGE_CONTENT
            ):
                payload = redact_content(data, self.world.bot_user_id)
            session.append(event, payload)
            if session.connection is not None:
                session.connection.wake.set()

    async def send_reconnect(self) -> None:
        """Send op 7 RECONNECT on every live connection (the client should RESUME)."""
        for conn in self._live():
            self._mark_disconnected(conn)
            await self._safe_send(conn, {"op": RECONNECT, "d": None})

    async def drop_socket(self, code: int | None = None) -> None:
        """Kill every live connection: abruptly (no close frame, the client sees 1006)
        when ``code`` is None, else with a close frame carrying ``code``."""
        for conn in list(self.connections):
            self._mark_disconnected(conn)
            if code is None:
                conn.abort()
            else:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await conn.ws.close(code=code, message=b"fake drop")

    async def send_invalid_session(self, resumable: bool) -> None:
        """Send op 9; with ``resumable=False`` the sessions are also forgotten."""
        for conn in self._live():
            if not resumable and conn.session is not None:
                conn.session.invalidated = True
            self._mark_disconnected(conn)
            await self._safe_send(conn, {"op": INVALID_SESSION, "d": resumable})

    async def close_all(self) -> None:
        """Close every connection (server shutdown)."""
        for conn in list(self.connections):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.close(code=1001, message=b"fake shutting down")

    # ------------------------------------------------------------ handler
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp websocket handler for both the gateway and resume URLs."""
        ws = web.WebSocketResponse(max_msg_size=0, heartbeat=None)
        await ws.prepare(request)
        conn = _Connection(ws, request)
        self.connections.add(conn)
        self.connection_paths.append(request.path)
        writer = asyncio.create_task(self._writer(conn), name="fake-gateway-writer")
        try:
            await conn.send({"op": HELLO, "d": {"heartbeat_interval": self._heartbeat_interval()}})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_message(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        except (ConnectionError, RuntimeError) as exc:
            logger.debug("gateway connection ended: %r", exc)
        finally:
            writer.cancel()
            self.connections.discard(conn)
            self._mark_disconnected(conn)
            if conn.session is not None and ws.close_code in (1000, 1001):
                conn.session.invalidated = True  # a clean client close ends the session
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
        return ws

    async def _on_message(self, conn: _Connection, msg: dict[str, Any]) -> None:
        op, data = msg.get("op"), msg.get("d")
        if op == HEARTBEAT:
            await conn.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(conn, data)
        elif op == RESUME:
            await self._resume(conn, data)
        elif op == PRESENCE:
            self.presence = data
        elif op == REQUEST_MEMBERS:
            self._request_members(conn, data)
        elif op == VOICE_STATE:
            logger.debug("ignoring voice state update %s", data)
        else:
            logger.warning("fake gateway: unknown opcode %s", op)
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, conn: _Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self._token():
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        requested = int(data.get("intents", 0))
        if requested & PRIVILEGED_INTENTS & ~self.enabled_privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = _Session(secrets.token_hex(16), int(data.get("intents", 0)), data.get("shard"))
        self.sessions[session.session_id] = session
        self.identify_count += 1
        self.identify_payloads.append(data)
        self._attach(conn, session, sent_seq=0)
        session.append("READY", self._ready_payload(session))
        for guild_id in self.world.guilds:
            session.append("GUILD_CREATE", self.world.guild_payload(guild_id, gateway=True))
        session.ready_seq = session.seq
        conn.wake.set()

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self._token():
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        session = self.sessions.get(data.get("session_id") or "")
        seq = int(data.get("seq") or 0)
        if session is None or session.invalidated or not session.can_replay_from(seq):
            await conn.send({"op": INVALID_SESSION, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await old.ws.close(code=4000, message=b"Session resumed elsewhere")
        self.resume_count += 1
        self._attach(conn, session, sent_seq=seq)
        session.append("RESUMED", {"_trace": ["fake-gateway"]})
        session.ready_seq = session.seq
        conn.wake.set()

    def _request_members(self, conn: _Connection, data: dict[str, Any]) -> None:
        if conn.session is None:
            return
        guild_id = int(
            data["guild_id"] if not isinstance(data["guild_id"], list) else data["guild_id"][0]
        )
        guild = self.world.guilds.get(guild_id)
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        members = [
            self.world.member_payload(guild_id, uid)
            for uid in guild.members
            if (not wanted or uid in wanted)
            and self.world.user_objects[uid]["username"].lower().startswith(query)
        ]
        chunk = {
            "guild_id": str(guild_id),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "nonce": data.get("nonce"),
        }
        self.dispatch("GUILD_MEMBERS_CHUNK", chunk, session_id=conn.session.session_id)

    # ----------------------------------------------------------- internals
    def _attach(self, conn: _Connection, session: _Session, *, sent_seq: int) -> None:
        conn.session = session
        conn.sent_seq = sent_seq
        session.connection = conn

    def _ready_payload(self, session: _Session) -> dict[str, Any]:
        user = self.world.user_payload(self.world.bot_user_id)
        user.update(verified=True, mfa_enabled=False, flags=0, email=None)
        payload: dict[str, Any] = {
            "v": 10,
            "user": user,
            "user_settings": {},
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self.world.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_url,
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "application": {"id": str(self.world.application_id), "flags": 0},
            "auth": {},
            "_trace": ['["fake-gateway",{"micros":0}]'],
        }
        if session.shard is not None:
            payload["shard"] = session.shard
        return payload

    async def _writer(self, conn: _Connection) -> None:
        try:
            while True:
                await conn.wake.wait()
                conn.wake.clear()
                session = conn.session
                if session is None or session.connection is not conn:
                    continue
                for seq, frame in session.events_after(conn.sent_seq):
                    await conn.send(frame)
                    conn.sent_seq = seq
                ready = session.ready_seq and conn.sent_seq >= session.ready_seq
                if ready and not self._connected.is_set():
                    self._connected.set()
                    self._on_change()
        except (ConnectionError, RuntimeError) as exc:
            logger.debug("gateway writer stopped: %r", exc)

    def _live(self) -> list[_Connection]:
        return [c for c in self.connections if c.session is not None and not c.ws.closed]

    def _mark_disconnected(self, conn: _Connection) -> None:
        """Forget ``conn`` as a delivery target; clear the connected flag if it was
        the last ready connection (checked synchronously, so a test can await
        ``wait_until_connected`` right after injecting a fault)."""
        if conn.session is not None and conn.session.connection is conn:
            conn.session.connection = None
        still_ready = any(
            c is not conn
            and c.session is not None
            and c.session.connection is c
            and c.sent_seq >= c.session.ready_seq > 0
            for c in self.connections
        )
        if not still_ready and self._connected.is_set():
            self._connected.clear()
            self._on_change()

    async def _safe_send(self, conn: _Connection, payload: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await conn.send(payload)
