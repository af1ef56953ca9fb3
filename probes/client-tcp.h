/*
 * --protocol tcp: no opening, the echo check is the bare 16 bytes compared byte by byte, traffic
 * is bytes of 'x' echoed as they are. Any other byte was not asked for: the server is talking on
 * its own (Redis's "-DENIED" banner, an HTTP 400), so the connection is refused and reset.
 */
#ifndef C1M_CLIENT_TCP_H
#define C1M_CLIENT_TCP_H

#include "client-app.h"
#include "traffic-latency.h"

static int tcp_on_bytes(int fd, const char *buf, ssize_t n) {
  if (app) return app_on_bytes(fd, buf, n); /* --app: the bytes are the session's lines */
  struct conn *c = &conns[fd];
  if (!echo_round_on && c->unanswered) traffic_tcp_bytes(fd, n);
  for (ssize_t i = 0; i < n; i++) {
    int at = c->echo_got;
    if (echo_round_on && at < echo_reply_len) {
      if ((unsigned char)buf[i] == echo_reply[at]) {
        c->echo_got = (unsigned char)(at + 1);
        if (at + 1 == echo_reply_len) echoed_total++;
        continue;
      }
      mismatched++;
      c->echo_got = ECHO_MISMATCH;
      keep_first_bytes(buf + i, n - i);
      return 0;
    }
    if (at == ECHO_MISMATCH) return 0;   /* the rest of a reply already counted as wrong */
    if (bytes_sent > 0 && buf[i] == 'x') continue;   /* echoed traffic */
    return drop_unexpected(fd, buf + i, n - i);
  }
  return 0;
}

static const struct protocol proto_tcp = {.name = "tcp", .on_bytes = tcp_on_bytes, .raw = 1, .stream_writes = 1};

#endif
