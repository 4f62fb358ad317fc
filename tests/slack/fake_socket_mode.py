"""A fake Socket Mode (WebSocket) server on 127.0.0.1 (aiohttp), adapted from the team's verified recipe,
itself modelled on the mock servers in python-slack-sdk and bolt-python's tests.

It listens on an ephemeral port, pushes envelopes on demand from the test thread and records the client's
acknowledgements ({"envelope_id": ..., "payload": ...}).

Wiring: FakeSlack.ws_url = server.url  ->  apps.connections.open returns it  ->
SocketModeHandler(app, app_token="xapp-...").connect() dials it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

HELLO = {"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A0APP"}}


class FakeSocketModeServer:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._connected = threading.Event()
        self._ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"ws://127.0.0.1:{self.port}/link"
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _link(self, request: web.Request):
        ws = web.WebSocketResponse()  # autoping=True answers the client's pings
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps(HELLO))
        self._connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                with self._cond:
                    self.received.append(json.loads(msg.data))
                    self._cond.notify_all()
        return ws

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.add_routes([web.get("/link", self._link)])
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.SockSite(runner, self._sock).start())
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())
        self.loop.close()

    # -- lifecycle --------------------------------------------------------
    def __enter__(self) -> FakeSocketModeServer:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)

    # -- test API ---------------------------------------------------------
    def wait_connected(self, timeout: float = 5) -> None:
        assert self._connected.wait(timeout), "client never connected"

    def send_envelope(
        self,
        type_: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        envelope_id = str(uuid.uuid4())
        env: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type_,
            "accepts_response_payload": accepts_response_payload,
        }
        if type_ == "events_api":
            env.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        asyncio.run_coroutine_threadsafe(self._ws.send_str(json.dumps(env)), self.loop).result(5)
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.received:
                    if m.get("envelope_id") == envelope_id:
                        return m
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no ack for {envelope_id}; got {self.received}"
                self._cond.wait(remaining)
