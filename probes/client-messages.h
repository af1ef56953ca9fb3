/*
 * Messages in a stream once a connection is open (WebSocket frames, MQTT packets), read one by
 * one: a 16-byte payload in an echo round is the echo (compared byte for byte); the protocol's
 * control messages are its own; an echo of traffic is counted as received; any other message is
 * pushed by the server and counted. A message cut by a read keeps its header (and a control
 * message or echo its payload) for the next read; a long payload is skipped as it comes.
 */
#ifndef C1M_CLIENT_MESSAGES_H
#define C1M_CLIENT_MESSAGES_H

#include "client-fanout.h"
#include "client.h"
#include "traffic-latency.h"

/* How a protocol's messages are framed and which are its own. */
struct framing {
  /* The header at f: 1 with its length and the payload's, 0 when more bytes are needed, -1 bad. */
  int (*header)(const unsigned char *f, size_t left, int *hl, uint64_t *len);
  /* A whole message the protocol handles itself: 1 handled, 0 not its own, -1 when it dropped fd. */
  int (*control)(int fd, const unsigned char *f, int hl, uint64_t len);
  /* Whether a message (have bytes of it at hand) is the echo of traffic_echo_len bytes of traffic. */
  int (*traffic_echo)(const unsigned char *f, int hl, uint64_t len, size_t have);
  /* Whether a message cut by this read must wait to be read whole (left bytes at hand). */
  int (*wait_whole)(const unsigned char *f, int hl, size_t left);
  /* Whether the message at f is compressed (its payload goes to on_compressed); NULL: never. */
  int (*compressed)(int fd, const unsigned char *f);
};

/* --app (client-app.h): a data frame's payload to the dialect. */
static int app_frame(int fd, const unsigned char *payload, uint64_t len);

_Static_assert(HS_MAX <= READ_MAX, "the bytes after an opening's answer are one read's worth");

static int is_traffic_echo(const struct framing *fr, const unsigned char *f, int hl, uint64_t len, size_t have) {
  return traffic_echo_len > 0 && fr->traffic_echo(f, hl, len, have);
}

/* A compressed message inflated whole (in->out bytes, the first in->kept of them at hand); -1 dropped. */
static int on_inflated(int fd, struct inflater *in) {
  /* --app: the dialect reads the message (one longer than what is kept is counted as pushed). */
  if (app) return in->out > in->kept ? app_frame(fd, NULL, in->out) : app_frame(fd, in->keep, in->out);
  if (awaiting_echo(fd) && in->out == ECHO_LEN) {
    if (memcmp(in->keep, ECHO_MSG, ECHO_LEN) == 0) { conns[fd].echo_got = (unsigned char)echo_reply_len; echoed_total++; echoed_compressed++; }
    else { mismatched++; conns[fd].echo_got = ECHO_MISMATCH; keep_first_bytes((const char *)in->keep, ECHO_LEN); }
    return 0;
  }
  if (traffic_echo_len > 0 && in->out == (uint64_t)traffic_echo_len) { bytes_received += in->out; traffic_echoed(fd); return 0; }
  fanout_note(in->keep, in->kept);
  pushed_events++;
  pushed_bytes += in->out;
  return 0;
}

/* n bytes of a compressed message's payload, the last ones when fin; -1 when fd was dropped. */
static int on_compressed(int fd, const unsigned char *payload, size_t n, int fin) {
  struct inflater *in = exts[fd].zin;
  if (!in && !(in = exts[fd].zin = inflater_new())) { note_error("inflateInit2", ENOMEM); drop(fd, 1); return -1; }
  if (!in->in_message) { inflater_next(in); in->in_message = 1; }
  if (inflater_feed(in, payload, n) < 0 || (fin && inflater_end(in) < 0)) {
    snprintf(last_error, sizeof last_error, "permessage-deflate: a message that does not inflate");
    return drop_unexpected(fd, payload, (ssize_t)n);
  }
  return fin ? on_inflated(fd, in) : 0;
}

/* One whole message; -1 when the connection was dropped. */
static int on_message(int fd, const struct framing *fr, const unsigned char *f, int hl, uint64_t len) {
  if (fr->compressed && fr->compressed(fd, f)) return on_compressed(fd, f + hl, (size_t)len, f[0] & 0x80);
  int own = fr->control(fd, f, hl, len);
  if (own) return own < 0 ? -1 : 0;
  if (app) return app_frame(fd, f + hl, len);
  if (awaiting_echo(fd) && (uint64_t)hl + len == (uint64_t)echo_reply_len) {
    if (memcmp(f, echo_reply, (size_t)echo_reply_len) == 0) { conns[fd].echo_got = (unsigned char)echo_reply_len; echoed_total++; }
    else { mismatched++; conns[fd].echo_got = ECHO_MISMATCH; keep_first_bytes((const char *)f, echo_reply_len); }
    return 0;
  }
  if (is_traffic_echo(fr, f, hl, len, (size_t)hl + len)) { bytes_received += (unsigned long long)traffic_echo_len; traffic_echoed(fd); return 0; }
  fanout_note(f + hl, (size_t)len);
  pushed_events++;
  pushed_bytes += len;
  return 0;
}

/* The connection's carry-over, made when first needed; NULL when out of memory (fd dropped). */
static struct rx *carry(int fd) {
  struct rx *rx = exts[fd].side;
  if (!rx && !(rx = exts[fd].side = calloc(1, sizeof *rx))) { note_error("malloc", ENOMEM); drop(fd, 1); }
  return rx;
}

/*
 * n bytes (at most READ_MAX) of messages from the server, framed as proto->framing says; -1 when
 * the connection was dropped.
 */
static int on_messages(int fd, const char *bytes, ssize_t n) {
  const struct framing *fr = proto->framing;
  const unsigned char *in = (const unsigned char *)bytes;
  struct rx *rx = exts[fd].side;
  if (rx && rx->skip) {
    uint64_t take = rx->skip < (uint64_t)n ? rx->skip : (uint64_t)n;
    if (rx->inflating) {
      if (on_compressed(fd, in, (size_t)take, rx->skip == take && rx->fin) < 0) return -1;
    } else if (!rx->skip_traffic) pushed_bytes += take; /* an echo of traffic was counted whole when it began */
    rx->skip -= take;
    if (!rx->skip && rx->skip_traffic && !rx->inflating) traffic_echoed(fd); /* a long echo of traffic is whole now */
    if (!rx->skip) rx->inflating = 0;
    in += take;
    n -= (ssize_t)take;
  }
  unsigned char joined[RX_KEEP + READ_MAX];
  if (rx && rx->len) {
    memcpy(joined, rx->buf, (size_t)rx->len);
    memcpy(joined + rx->len, in, (size_t)n);
    in = joined;
    n += rx->len;
    rx->len = 0;
  }
  ssize_t at = 0;
  while (at < n) {
    const unsigned char *f = in + at;
    size_t left = (size_t)(n - at);
    int hl = 0;
    uint64_t len = 0;
    int rc = fr->header(f, left, &hl, &len);
    if (rc < 0) return drop_unexpected(fd, f, (ssize_t)left);
    if (rc == 0) break;
    if (left < (uint64_t)hl + len) {
      /* Control messages and what may be an echo are read whole; anything else may be skipped through. */
      if ((uint64_t)hl + len <= (uint64_t)echo_reply_len || fr->wait_whole(f, hl, left)) break;
      /* An application's messages are read whole when they fit (socket.io's open packet, NATS's INFO). */
      if (app && (uint64_t)hl + len <= RX_KEEP) break;
      if (fr->compressed && fr->compressed(fd, f)) {
        if (left > (size_t)hl && on_compressed(fd, f + hl, left - (size_t)hl, 0) < 0) return -1;
        if (!(rx = carry(fd))) return -1;
        rx->skip = (uint64_t)hl + len - left;
        rx->inflating = 1;
        rx->fin = (f[0] & 0x80) != 0;
        at = n;
        break;
      }
      int traffic = is_traffic_echo(fr, f, hl, len, left);
      if (traffic) bytes_received += (unsigned long long)traffic_echo_len;
      else { fanout_note(f + hl, left - (size_t)hl); pushed_events++; pushed_bytes += left - (size_t)hl; }
      if (!(rx = carry(fd))) return -1;
      rx->skip = (uint64_t)hl + len - left;
      rx->skip_traffic = traffic;
      at = n;
      break;
    }
    if (on_message(fd, fr, f, hl, len) < 0) return -1;
    at += hl + (ssize_t)len;
  }
  if (at < n) {
    if (!(rx = carry(fd))) return -1;
    if (n - at > RX_KEEP) return drop_unexpected(fd, in + at, n - at);
    memcpy(rx->buf, in + at, (size_t)(n - at));
    rx->len = (int)(n - at);
  } else if (rx && !rx->skip) {
    free(rx);
    exts[fd].side = NULL;
  }
  return 0;
}

#endif
