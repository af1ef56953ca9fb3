/*
 * The load client's connections: one struct conn per descriptor, the table a protocol fills in
 * (chosen once in main), the counters every reply reports, and what drops or counts a connection.
 */
#ifndef C1M_CLIENT_H
#define C1M_CLIENT_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "hist.h"
#include "inflate.h"
#include "process.h"
#include "tls.h"

#define ECHO_LEN 16
static const char ECHO_MSG[ECHO_LEN + 1] = "c1m echo check!\n";
#define ECHO_MISMATCH 255
/* One read of an open connection; a message cut by a read keeps at most RX_KEEP bytes for the next. */
#define READ_MAX 4096
#define RX_KEEP 1024
/* An answer to a connection's opening (an HTTP head, MQTT's CONNACK and SUBACK) fits in HS_MAX bytes. */
#define HS_MAX 2048
#define MAX_TRAFFIC 65536

/* SESSION: the transport is open and an application session (--app, client-app.h) is being opened. */
enum conn_state { NONE, CONNECTING, OPEN, HANDSHAKE, TLS_HANDSHAKE, SESSION };

/* The answer to a connection's opening as it comes (and a long-poll answer's head). */
struct opening { char accept[29]; int subscribing; int len; char buf[HS_MAX + 1]; };
/* WebSocket and MQTT once open: a message cut by a read, carried to the next (client-messages.h). */
struct rx { unsigned char buf[RX_KEEP]; int len; int skip_traffic; uint64_t skip; uint8_t inflating, fin; };
/* How a protocol's messages are framed (client-messages.h). */
struct framing;

/*
 * One descriptor's connection: 8 bytes that every connection writes, so that a million idle TCP
 * connections cost 8 MB; what only some connections use (TLS, an opening under way, a message cut
 * by a read, a protocol's state) is in their struct conn_ext beside it, whose memory is touched
 * only when used.
 */
struct conn {
  uint32_t started_us; /* when connect() started (clock_us): the time to count goes into the histogram;
                          once open with traffic, when its oldest unanswered message was due (client-traffic.h) */
  uint8_t state;       /* enum conn_state */
  uint8_t echo_got;    /* bytes of the echo back in this round, or ECHO_MISMATCH */
  uint8_t unanswered;  /* traffic messages sent and not yet echoed */
};
_Static_assert(sizeof(struct conn) <= 8, "a connection's memory grows with every connection");
struct conn_ext {
  tls_conn *ssl;      /* with --tls */
  struct inflater *zin; /* permessage-deflate: made at the first compressed message (inflate.h) */
  void *side;         /* struct opening * while opening (or reading a long-poll head), or struct rx * */
  uint64_t body_left; /* long-poll: bytes of an answer's body to go */
  union {
    uint32_t chunk_left; /* HTTP: see http_unchunk */
    uint32_t mqtt_id;    /* MQTT: the connection's number, in its client id and echo topic */
    uint32_t app_n;      /* --app: the connection's number in this process ({n} in --send) */
    uint32_t echo_part;  /* raw TCP traffic: bytes of the next message's echo come so far */
  };
  uint8_t chunk_state; /* enum chunk_state */
  uint8_t sse_nl : 1;  /* SSE: the last byte pushed was a newline (a blank line ends an event) */
  uint8_t chunked : 1; /* HTTP push: the body is chunked */
  uint8_t lp_phase : 2; /* long-poll: enum lp_phase */
  uint8_t deflate : 1;  /* WebSocket: the server accepted permessage-deflate */
  uint8_t app_state;    /* --app: where the session is (each dialect's own values) */
};
/* Both indexed by descriptor, allocated once for every descriptor the process may hold. */
static struct conn *conns;
static struct conn_ext *exts;
static long fd_slots;

/*
 * What a protocol does, one row per --protocol. Every hook but on_bytes may be NULL: no opening
 * (the connection counts once TCP or TLS is up), the bare 16 bytes as the echo, the bytes of 'x'
 * as they are as traffic, no keepalive.
 */
struct protocol {
  const char *name;    /* --protocol's value */
  const char *opening; /* how a refused opening is named: "websocket handshake: ..." */
  void (*setup)(void); /* once in main, after the options: the echo frames, keepalive */
  void (*open)(int fd); /* send the opening (the connection counts when it is answered, or now) */
  void (*on_opening)(int fd, struct opening *op); /* the answer so far (op->len bytes) */
  int (*on_bytes)(int fd, const char *buf, ssize_t n); /* bytes once open; -1 when it dropped fd */
  const struct framing *framing; /* with on_bytes = on_messages: the messages' framing */
  size_t (*traffic_message)(unsigned char *out, size_t size); /* the message of size bytes, its length */
  const char *(*traffic_packet)(int fd, size_t size, size_t *len); /* a message of each connection's own */
  int (*keepalive)(int fd); /* every keepalive_every seconds on each open connection; -1 when it dropped fd */
  int raw;             /* received bytes count as they come (TCP: the echo of traffic) */
  int eof_code;        /* a close without a close frame is counted as this code (WebSocket: 1006) */
  int stream_writes;   /* a short write sends fewer bytes, not half a message (plain TCP) */
  int ws_frames;       /* an application's messages travel in WebSocket frames (else as bytes) */
};
static const struct protocol *proto;
/* --app: the application session spoken over the protocol (client-app.h), or NULL. */
struct app;
static const struct app *app;
/* Sessions the server accepted and refused, heartbeats answered (theirs or ours) and sent. */
static unsigned long long sessions_accepted, sessions_refused, heartbeats_answered, heartbeats_sent;
/* The first session refusal, in the application's terms ("socket.io: namespace refused: ..."). */
static char session_error[200] = "";

static long established, inflight, failed, peer_closed, addr_in_use, echoed_total, echoed_compressed;
static long refused, unexpected, mismatched, attempts, echo_closed;
static unsigned long long pushed_bytes, pushed_events, pings_answered, keepalive_answers, bytes_sent, bytes_received;
/* Traffic messages whose echo never came (traffic-latency.h): in flight when their connection closed, or at the end. */
static unsigned long long traffic_lost;
static unsigned long close_codes[5000];
static long deflate_accepted;
/* The first Sec-WebSocket-Extensions a server answered with: what it accepted, with its parameters. */
static char deflate_response[128];
static int echo_round_on; /* an echo round is under way */
/* What the echo check sends and wants back: the bare 16 bytes, or a protocol's frames of them. */
static unsigned char echo_request[32], echo_reply[32];
static int echo_request_len = ECHO_LEN, echo_reply_len = ECHO_LEN;
/* The payload size of the traffic last started: its echoes are told apart from pushed messages by it. */
static long traffic_echo_len;
/* One round's message; a protocol with a message per connection builds it before PUBLISH_ROOM. */
#define PUBLISH_ROOM 64
static char traffic_buf[MAX_TRAFFIC + PUBLISH_ROOM];
static double keepalive_every, next_keepalive;
static struct hist open_hist;
static unsigned char first_bytes[64];
static int first_len;
static char last_error[200] = "";
static int epfd;
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
/* --path, --host and --header's lines (CRLF-ended) of every HTTP request. */
static const char *ws_path = "/", *ws_host = "localhost";
static char extra_headers[4096];

static void note_error(const char *what, int err) {
  snprintf(last_error, sizeof last_error, "%s: %s", what, strerror(err));
}

static uint64_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Keep the first bytes a server sent that were not an echo, once, for the report. */
static void keep_first_bytes(const char *buf, ssize_t n) {
  if (first_len > 0 || n <= 0) return;
  first_len = n > (ssize_t)sizeof first_bytes ? (int)sizeof first_bytes : (int)n;
  memcpy(first_bytes, buf, (size_t)first_len);
}

/* Microseconds since the process started, modulo 2^32: differences under 71 minutes are exact. */
static double clock_start;
static uint32_t clock_us(void) { return (uint32_t)(uint64_t)((now() - clock_start) * 1e6); }

static ssize_t conn_read(int fd, void *buf, size_t n) { return io_read(exts[fd].ssl, fd, buf, n); }
static ssize_t conn_write(int fd, const void *buf, size_t n) { return io_write(exts[fd].ssl, fd, buf, n); }
/* Whether a write of n bytes went out whole. */
static int sent_whole(int fd, const void *buf, size_t n) { return conn_write(fd, buf, n) == (ssize_t)n; }

/* Whether the echo of this round is still awaited on the connection. */
static int awaiting_echo(int fd) { return echo_round_on && conns[fd].echo_got < echo_reply_len; }

/* The connection counts from now on: its time from connect() goes into the histogram. */
static void count_established(int fd) {
  conns[fd].state = OPEN;
  inflight--;
  established++;
  hist_add(&open_hist, (uint32_t)(clock_us() - conns[fd].started_us) / 1e6);
}

/*
 * The transport is up (TCP, TLS, the protocol's opening): the connection counts now, or with an
 * application session once the server accepts it (client-app.h). -1 when it was dropped.
 */
static int app_open(int fd);
static void app_closed(int fd, const unsigned char *payload, uint64_t len);
static void app_heartbeat_tick(void);
static double app_heartbeat_every, app_next_heartbeat;
static int transport_open(int fd) {
  if (app) return app_open(fd);
  count_established(fd);
  return 0;
}

/* Clear a connection's slot (reset: no FIN, no TIME_WAIT at its close); the caller closes the descriptor. */
static void forget(int fd, int reset) {
  struct conn *c = &conns[fd];
  struct conn_ext *e = &exts[fd];
  if (reset) reset_on_close(fd);
  if (c->state == OPEN) established--;
  if (c->state == CONNECTING || c->state == HANDSHAKE || c->state == TLS_HANDSHAKE || c->state == SESSION) inflight--;
  static const struct conn_ext unused;
  if (memcmp(e, &unused, sizeof *e) != 0) { /* read, not written: an unused page stays untouched */
    if (e->ssl) tls_free(e->ssl);
    inflater_free(e->zin);
    free(e->side);
    memset(e, 0, sizeof *e);
  }
  traffic_lost += c->unanswered;
  memset(c, 0, sizeof *c);
}

/* Close a connection (reset: no FIN, no TIME_WAIT) and clear its slot. */
static void drop(int fd, int reset) {
  forget(fd, reset);
  close(fd);
}

/* A write failed: the connection is dropped and counted as failed. */
static void drop_failed(int fd, const char *what, int err) {
  note_error(what, err ? err : EIO);
  drop(fd, 1);
  failed++;
}

/* The server sent what nobody asked for, or what cannot be read: refused, its first bytes kept. */
static int drop_unexpected(int fd, const void *bytes, ssize_t n) {
  unexpected++;
  refused++;
  keep_first_bytes((const char *)bytes, n);
  drop(fd, 1);
  return -1;
}

/* The server refused the opening: a wrong status or answer, a close. */
static void refuse_opening(int fd, const char *why) {
  struct opening *op = exts[fd].side;
  snprintf(last_error, sizeof last_error, "%s handshake: %s", proto->opening, why);
  if (op) keep_first_bytes(op->buf, op->len);
  drop_unexpected(fd, NULL, 0);
}

/* The end of an HTTP answer's head (its blank line), or NULL: wait for more, or refused when too long. */
static char *opening_head_end(int fd, struct opening *op) {
  char *end = strstr(op->buf, "\r\n\r\n");
  if (!end && op->len >= HS_MAX) refuse_opening(fd, "an answer longer than 2 KiB");
  return end;
}

/* The opening starts: its answer is read into a struct opening. Returns it, or NULL (fd dropped). */
static struct opening *begin_opening(int fd) {
  struct opening *op = malloc(sizeof *op);
  if (!op) { drop_failed(fd, "malloc", ENOMEM); return NULL; }
  op->len = 0;
  op->subscribing = 0;
  exts[fd].side = op;
  conns[fd].state = HANDSHAKE;
  return op;
}

/* Send the opening's n bytes; a short write fails the connection. */
static void send_opening(int fd, const void *out, int n) {
  if (!sent_whole(fd, out, (size_t)n)) drop_failed(fd, "write", errno);
}

/*
 * The opening is over when `used` bytes of op were the server's answer: the connection counts, and
 * whatever came after the answer is the server's first messages (frames, packets, pushed data).
 */
static void opened_with_rest(int fd, struct opening *op, int used) {
  int rest = op->len - used;
  char tail[HS_MAX];
  memcpy(tail, op->buf + used, (size_t)rest);
  free(op);
  exts[fd].side = NULL;
  if (transport_open(fd) < 0) return;
  if (rest > 0) proto->on_bytes(fd, tail, rest);
}

#endif
