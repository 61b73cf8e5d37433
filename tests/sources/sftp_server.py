"""A real SFTP server for the tests: asyncssh's, on 127.0.0.1, chrooted to a folder.

Run as `python sftp_server.py ROOT HOST_KEY AUTHORIZED_KEYS LOG`; it prints its port and
serves until killed. Every file the client opens is logged to LOG as `open <path>`, so
a test can tell which files were downloaded.
"""

from __future__ import annotations

import asyncio
import sys

import asyncssh


def main(root: str, host_key: str, authorized_keys: str, log_path: str) -> None:
    log = open(log_path, "a", buffering=1)

    class LoggingSFTPServer(asyncssh.SFTPServer):
        def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
            log.write(f"open {path.decode(errors='backslashreplace')}\n")
            return super().open(path, pflags, attrs)

        def open56(self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs) -> object:
            log.write(f"open {path.decode(errors='backslashreplace')}\n")
            return super().open56(path, desired_access, flags, attrs)

    async def serve() -> None:
        server = await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[host_key], authorized_client_keys=authorized_keys,
            sftp_factory=lambda channel: LoggingSFTPServer(channel, chroot=root.encode()), allow_scp=False,
        )
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

    asyncio.run(serve())


if __name__ == "__main__":
    main(*sys.argv[1:5])
