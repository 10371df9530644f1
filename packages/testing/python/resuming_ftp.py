"""What the Python test clients share: ftplib.FTP_TLS whose data connections
resume the control connection's TLS session (PROTOCOL.md §6), as servers that
require session reuse (vsftpd, Wharf) expect, and a connect-and-login helper."""
import ftplib
import ssl


class ResumingFTP_TLS(ftplib.FTP_TLS):
    """ftplib.FTP_TLS whose data connections resume the control session."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


def insecure_context() -> ssl.SSLContext:
    """A client context for the tests' throw-away certificates."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connect_tls(host: str, port: int, user: str, password: str, kind=ResumingFTP_TLS) -> ftplib.FTP_TLS:
    """AUTH TLS, login, PROT P."""
    ftp = kind(context=insecure_context(), timeout=30)
    ftp.connect(host, port)
    ftp.auth()
    ftp.login(user, password)
    ftp.prot_p()
    return ftp
