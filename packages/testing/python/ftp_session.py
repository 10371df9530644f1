"""One FTPS session that ends a data transfer in a chosen way, for tests of what
the server makes of each ending. The data connections resume the control
connection's TLS session, as a server that requires session reuse expects.

usage: ftp_session.py HOST PORT USER PASSWORD COMMAND PATH NBYTES ENDING [--close-control]

COMMAND STOR: send NBYTES, then end the data connection with ENDING:
  reset         SO_LINGER 0 then close: the kernel sends a TCP RST
  fin           close without a TLS close_notify: a bare FIN
  close_notify  a TLS close_notify, then close
  stall         send NBYTES and then nothing; wait for the server's reply
COMMAND RETR: read NBYTES, then reset the connection (ENDING must be reset)
--close-control: close the control connection right after the data connection
  (a killed client), and print no reply

Prints one line: the server's reply to the transfer (or "closed").
"""
import ftplib
import socket
import struct
import sys

from resuming_ftp import connect_tls


def reset(conn) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def main() -> None:
    host, port, user, password, command, path, nbytes, ending = sys.argv[1:9]
    close_control = "--close-control" in sys.argv[9:]
    nbytes = int(nbytes)
    ftp = connect_tls(host, int(port), user, password)
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd(f"{command} {path}")
    if command == "RETR":
        got = 0
        while got < nbytes:
            data = conn.recv(65536)
            if not data:
                break
            got += len(data)
        reset(conn)
    else:
        chunk = b"\xa5" * 65536
        sent = 0
        while sent < nbytes:
            piece = chunk[: min(len(chunk), nbytes - sent)]
            conn.sendall(piece)
            sent += len(piece)
        if ending == "reset":
            reset(conn)
        elif ending == "fin":
            conn.shutdown(socket.SHUT_WR)  # an SSLSocket's shutdown() sends no close_notify
            conn.close()
        elif ending == "close_notify":
            conn.unwrap().close()
        elif ending != "stall":
            raise SystemExit(f"unknown ending {ending}")
    if close_control:
        ftp.sock.close()
        print("closed", flush=True)
        return
    try:
        reply = ftp.getresp()
    except ftplib.Error as error:
        reply = str(error)
    print(reply.split(" ")[0], flush=True)
    ftp.close()


if __name__ == "__main__":
    main()
