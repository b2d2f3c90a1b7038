"""One window per user and configuration: a second launch hands its files to the running one.

A second window on the same job database cannot start an engine (``runtime.lock``), so it used
to open as a dead "Not connected" window. Now the first launch listens on a ``QLocalServer``
whose name is private to the user and to the configuration folder (``--home`` or
``$SEEDANCE_HOME`` give a separate instance, as they give a separate job database); a later
launch connects, sends the files named on its command line and exits. The running window
comes forward and adds the files to its form, routed by kind (videos, images, audio).

The message is one line of JSON, ``{"files": [...]}``, answered by ``ok``. A socket file left
behind by a crash refuses connections; the next launch removes it and listens in its place. A
``QLockFile`` around that check-then-listen keeps two simultaneous launches from both deciding
they are first.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QCoreApplication, QLockFile, QObject, Signal, SignalInstance
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

from seedance_desktop.core.paths import AppPaths

#: How long a second launch waits for the running one: long enough for a busy GUI thread to get
#: to the message, short enough that a hung instance does not hang the launch.
CONNECT_TIMEOUT_MS = 1000
REPLY_TIMEOUT_MS = 5000
ACK = b"ok\n"
SERVER_OBJECT_NAME = "seedanceSingleInstance"


def server_name(paths: AppPaths) -> str:
    """A short name (socket paths are limited to ~100 bytes) unique per user and config dir."""
    try:
        user = str(os.getuid())
    except AttributeError:  # pragma: no cover - Windows has no uid
        user = getpass.getuser()
    digest = hashlib.sha256(f"{user}\0{Path(paths.config_dir).resolve()}".encode()).hexdigest()[:16]
    return f"seedance-desktop-{digest}"


def encode_request(files: Sequence[str]) -> bytes:
    return json.dumps({"files": [os.path.abspath(f) for f in files]}).encode() + b"\n"


def decode_request(data: bytes) -> list[str]:
    """The file list of a request; anything malformed is an empty list (never an exception)."""
    try:
        message = json.loads(data.decode("utf-8", "replace").strip() or "{}")
    except ValueError:
        return []
    files = message.get("files") if isinstance(message, dict) else None
    return [f for f in files if isinstance(f, str) and f] if isinstance(files, list) else []


HandOff = Literal["accepted", "no-instance", "no-answer"]


def hand_off(name: str, files: Sequence[str]) -> HandOff:
    """Give ``files`` to the instance listening on ``name``.

    Runs before this launch has a window or an event loop, so the bounded blocking waits of
    QLocalSocket are the simple way: no GUI exists yet to keep responsive."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return "no-instance"  # nobody listens (or a stale socket file: connection refused)
    socket.write(encode_request(files))
    socket.flush()
    reply = b""
    while ACK not in reply and socket.waitForReadyRead(REPLY_TIMEOUT_MS):
        reply += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    # Connected but no answer: an instance exists yet is stuck. A second window would still be
    # a dead one (the engine is locked), so the caller says so instead of opening it.
    return "accepted" if ACK in reply else "no-answer"


class InstanceServer(QObject):
    """The running instance's end: accepts requests, asks a receiver to show them.

    Requests that arrive before a receiver is attached (the window is still being built) are
    kept and delivered on :meth:`attach`."""

    files_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(SERVER_OBJECT_NAME)
        self.name = name
        self.server = QLocalServer(self)
        # Only this user may connect (on Unix the socket file is made 0700-accessible).
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._pending: list[list[str]] = []
        self._receiver: Callable[[list[str]], None] | None = None

    def listen(self) -> bool:
        """Listen on the name. Call only after :func:`hand_off` found nobody answering: a
        socket file still there is then stale (a crashed instance) and is removed."""
        if self.server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def release(self) -> None:
        """Stop listening and leave the application object (the next claim starts afresh)."""
        self.server.close()
        self._receiver = None
        self.setParent(None)
        self.deleteLater()

    def attach(self, receiver: Callable[[list[str]], None]) -> None:
        self._receiver = receiver
        pending, self._pending = self._pending, []
        for files in pending:
            receiver(files)

    def queue(self, files: list[str]) -> None:
        """Deliver a request now, or once a receiver is attached."""
        if self._receiver is None:
            self._pending.append(list(files))
        else:
            self._receiver(list(files))
        self.files_received.emit(list(files))

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            connection = self.server.nextPendingConnection()
            if connection is None:
                break
            buffer = bytearray()

            def read(connection: QLocalSocket = connection, buffer: bytearray = buffer) -> None:
                buffer.extend(bytes(connection.readAll().data()))
                if b"\n" in buffer:
                    connection.readyRead.disconnect()
                    connection.write(ACK)
                    connection.flush()
                    connection.disconnectFromServer()
                    self.queue(decode_request(bytes(buffer)))

            connection.readyRead.connect(read)
            connection.disconnected.connect(connection.deleteLater)
            if connection.bytesAvailable():
                read()


def claim(paths: AppPaths, files: Sequence[str], *, name: str | None = None) -> InstanceServer | None:
    """Become the running instance, or hand ``files`` to the one already running.

    Returns the server (owned by the application object, so it lives as long as the app) when
    this launch is first, with ``files`` queued for its own window; None when another instance
    took them (this launch should exit)."""
    app = QCoreApplication.instance()
    assert app is not None, "create the QApplication first"
    name = name or server_name(paths)
    lock = QLockFile(os.path.join(tempfile.gettempdir(), f"{name}.lock"))
    lock.setStaleLockTime(0)  # only a dead owner's lock is stale (QLockFile checks the PID)
    locked = lock.tryLock(CONNECT_TIMEOUT_MS + REPLY_TIMEOUT_MS)
    try:
        outcome = hand_off(name, files)
        if outcome == "no-answer":
            print("Seedance Desktop is already running but did not answer; "
                  "switch to its window, or close it and try again.", file=sys.stderr)
        if outcome != "no-instance":
            return None
        server = InstanceServer(name, app)
        if not server.listen():
            # Cannot listen (say, an unwritable temp folder): run without the hand-off rather
            # than not at all; a second launch then meets the engine lock as before.
            print(f"warning: single-instance server unavailable: {server.server.errorString()}",
                  file=sys.stderr)
        if files:
            server.queue([os.path.abspath(f) for f in files])
        return server
    finally:
        if locked:
            lock.unlock()


def find_server(app: QObject | None = None) -> InstanceServer | None:
    """The server :func:`claim` made for this application, if any (tests build windows
    without one)."""
    owner = app or QCoreApplication.instance()
    return owner.findChild(InstanceServer, SERVER_OBJECT_NAME) if owner is not None else None


def bring_forward(window: QWidget) -> None:
    """Show the window on top: restored if minimised, raised and activated (the window
    manager may still only flash it, which is its right)."""
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


def serve_window(window: QWidget, add_files: Callable[[list[str]], object], ready: SignalInstance | None = None,
                 *, server: InstanceServer | None = None) -> InstanceServer | None:
    """Connect the instance server to a window: each request brings it forward and gives the
    files to ``add_files``. With ``ready`` (a signal), requests wait until it fires, so files
    are not added to a form that start-up is about to fill (demo mode's sample recipe)."""
    server = server or find_server()
    if server is None:
        return None

    def receive(files: list[str]) -> None:
        bring_forward(window)
        if files:
            add_files(files)

    if ready is None:
        server.attach(receive)
    else:
        def on_ready() -> None:
            ready.disconnect(on_ready)
            server.attach(receive)

        ready.connect(on_ready)
    return server


__all__ = [
    "HandOff", "InstanceServer", "bring_forward", "claim", "decode_request", "encode_request", "find_server",
    "hand_off", "serve_window", "server_name",
]
