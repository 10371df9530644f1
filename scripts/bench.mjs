// npm run bench: Wharf's benchmarks will live here (throughput and login rate
// side by side with vsftpd, pure-ftpd and ftp-srv). None are written yet.
console.log("no benchmarks yet");
