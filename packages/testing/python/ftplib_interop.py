"""The interop sequence with Python's ftplib, on an explicit-FTPS or a plain port.

usage: ftplib_interop.py HOST PORT USER PASSWORD explicit|plain DIR A_FILE C_FILE C_OFFSET OUT_FILE

mkdir DIR; STOR A as DIR/a.bin; NLST DIR; RETR DIR/a.bin into OUT; RNFR/RNTO a.bin to b.bin;
STOR the first C_OFFSET bytes of C as DIR/c.bin, then REST C_OFFSET + STOR the rest (a resume);
DELE DIR/b.bin. Prints the NLST as JSON.
"""
import ftplib
import io
import json
import sys

from resuming_ftp import connect_tls


def main() -> None:
    host, port, user, password, mode, folder, a_file, c_file, c_offset, out_file = sys.argv[1:11]
    if mode == "explicit":
        ftp = connect_tls(host, int(port), user, password)
    else:
        ftp = ftplib.FTP(timeout=30)
        ftp.connect(host, int(port))
        ftp.login(user, password)
    ftp.mkd(folder)
    with open(a_file, "rb") as source:
        ftp.storbinary(f"STOR {folder}/a.bin", source)
    names = ftp.nlst(folder)
    with open(out_file, "wb") as sink:
        ftp.retrbinary(f"RETR {folder}/a.bin", sink.write)
    ftp.rename(f"{folder}/a.bin", f"{folder}/b.bin")
    with open(c_file, "rb") as source:
        head = io.BytesIO(source.read(int(c_offset)))
        ftp.storbinary(f"STOR {folder}/c.bin", head)
        ftp.storbinary(f"STOR {folder}/c.bin", source, rest=int(c_offset))
    ftp.delete(f"{folder}/b.bin")
    ftp.quit()
    print(json.dumps({"nlst": names}), flush=True)


if __name__ == "__main__":
    main()
