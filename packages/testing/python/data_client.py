"""Opens an FTP data connection, speaks TLS on it, sends bytes and ends it
in a chosen way, for tests of what a server makes of each ending.

usage: data_client.py HOST PORT NBYTES reset|fin|close_notify|read-then-reset [--plain]

reset           send NBYTES, then SO_LINGER 0 and close: the kernel sends a TCP RST
fin             send NBYTES, then close without a TLS close_notify: a bare FIN
close_notify    send NBYTES, then a TLS close_notify, then close
read-then-reset read NBYTES (a download), then reset the connection
Prints one line: "sent N" (or "read N").
"""
import socket
import ssl
import struct
import sys


def main() -> None:
    host, port, nbytes, ending = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    plain = "--plain" in sys.argv[5:]
    raw = socket.create_connection((host, port), timeout=20)
    conn = raw
    if not plain:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = context.wrap_socket(raw)
    if ending == "read-then-reset":
        got = 0
        while got < nbytes:
            data = conn.recv(65536)
            if not data:
                break
            got += len(data)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        print(f"read {got}", flush=True)
        return
    chunk = b"\xa5" * 65536
    sent = 0
    while sent < nbytes:
        piece = chunk[: min(len(chunk), nbytes - sent)]
        conn.sendall(piece)
        sent += len(piece)
    if ending == "reset":
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    elif ending == "fin":
        # Read what the server sent (TLS 1.3 tickets) so the close is a FIN, not a reset,
        # then shut the TCP connection down without a TLS close_notify.
        conn.settimeout(0.2)
        try:
            while conn.recv(65536):
                pass
        except (OSError, ssl.SSLError):
            pass
        conn.shutdown(socket.SHUT_WR)
        conn.close()
    elif ending == "close_notify":
        if not plain:
            conn = conn.unwrap()
        conn.close()
    else:
        raise SystemExit(f"unknown ending {ending}")
    print(f"sent {sent}", flush=True)


if __name__ == "__main__":
    main()
