"""A partner's client built on Python's ftplib.FTP_TLS, for end-to-end tests.

usage:
  ftplib_client.py roundtrip HOST PORT USER PASSWORD LOCAL REMOTE OUT
      AUTH TLS, PROT P, STOR LOCAL as REMOTE, NLST, RETR REMOTE into OUT
  ftplib_client.py active-roundtrip HOST PORT USER PASSWORD LOCAL REMOTE OUT
      the same in active mode (PORT; the server connects to the client)
  ftplib_client.py cut HOST PORT USER PASSWORD LOCAL REMOTE NBYTES
      STOR REMOTE, send the first NBYTES of LOCAL, then reset the data connection
  ftplib_client.py login HOST PORT USER PASSWORD
      log in and quit
  ftplib_client.py stock HOST PORT USER PASSWORD LOCAL REMOTE
      STOR with stock ftplib.FTP_TLS, whose data connections never resume the
      control session, then NOOP: the replies seen

The other commands use ResumingFTP_TLS: data connections resume the control
connection's TLS session, as servers that require session reuse expect.

Prints one JSON object with the replies seen.
"""
import ftplib
import json
import socket
import ssl
import struct
import sys

from resuming_ftp import ResumingFTP_TLS, connect_tls


def connect(host: str, port: int, user: str, password: str, kind=ResumingFTP_TLS) -> ftplib.FTP_TLS:
    return connect_tls(host, port, user, password, kind)


def roundtrip(host, port, user, password, local, remote, out, passive=True) -> dict:
    ftp = connect(host, int(port), user, password)
    ftp.set_pasv(passive)
    with open(local, "rb") as source:
        stored = ftp.storbinary(f"STOR {remote}", source)
    names = ftp.nlst()
    with open(out, "wb") as sink:
        retrieved = ftp.retrbinary(f"RETR {remote}", sink.write)
    ftp.quit()
    return {"stor": stored, "nlst": names, "retr": retrieved}


def cut(host, port, user, password, local, remote, nbytes) -> dict:
    ftp = connect(host, int(port), user, password)
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd(f"STOR {remote}")
    with open(local, "rb") as source:
        conn.sendall(source.read(int(nbytes)))
    # SO_LINGER 0: close with a TCP reset, the way a crashed client or a broken link ends.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
    try:
        reply = ftp.voidresp()
    except ftplib.Error as error:
        reply = str(error)
    names = ftp.nlst()
    ftp.quit()
    return {"reply": reply, "nlst": names}


def active_roundtrip(host, port, user, password, local, remote, out) -> dict:
    return roundtrip(host, port, user, password, local, remote, out, passive=False)


def login(host, port, user, password) -> dict:
    try:
        ftp = connect(host, int(port), user, password)
    except ftplib.error_perm as error:
        return {"error": str(error)}
    ftp.quit()
    return {"ok": True}


def stock(host, port, user, password, local, remote) -> dict:
    ftp = connect(host, int(port), user, password, kind=ftplib.FTP_TLS)
    try:
        with open(local, "rb") as source:
            stored = ftp.storbinary(f"STOR {remote}", source)
    except (ftplib.Error, ssl.SSLError, OSError) as error:
        stored = str(error)
    noop = ftp.voidcmd("NOOP")
    ftp.quit()
    return {"stor": stored, "noop": noop}


def main() -> None:
    command, *args = sys.argv[1:]
    handlers = {"roundtrip": roundtrip, "active-roundtrip": active_roundtrip, "cut": cut, "login": login, "stock": stock}
    print(json.dumps(handlers[command](*args)), flush=True)


if __name__ == "__main__":
    main()
