"""Logs in to an explicit FTPS port with Python's ssl, optionally presenting a
client certificate, then (when logged in) stores a file and reads it back over
a protected data connection, for the client-certificate tests.

usage:
  cert_login.py HOST PORT USER PASSWORD [CERT KEY]
      PASSWORD "-" sends USER only: a cert-only user is logged in by it (232)

Prints one JSON object: the replies to USER and PASS, and whether the round
trip returned the bytes sent, or the error that ended the session.
"""
import ftplib
import io
import json
import ssl
import sys

from resuming_ftp import ResumingFTP_TLS, insecure_context


def main(host: str, port: str, user: str, password: str, cert: str = "", key: str = "") -> dict:
    context = insecure_context()
    if cert:
        context.load_cert_chain(cert, key)
    ftp = ResumingFTP_TLS(context=context, timeout=30)
    result: dict = {}
    try:
        ftp.connect(host, int(port))
        ftp.auth()
        result["user"] = ftp.sendcmd(f"USER {user}")
        if result["user"].startswith("3"):
            result["pass"] = ftp.sendcmd(f"PASS {'' if password == '-' else password}")
        ftp.prot_p()
        payload = b"sent with a client certificate\n"
        ftp.storbinary("STOR cert-check.txt", io.BytesIO(payload))
        back = io.BytesIO()
        ftp.retrbinary("RETR cert-check.txt", back.write)
        result["roundtrip"] = back.getvalue() == payload
        ftp.quit()
    except (ftplib.Error, OSError, EOFError) as error:
        result["error"] = f"{type(error).__name__}: {error}"
    return result


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
