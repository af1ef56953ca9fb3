/*
 * --broadcast-every MS [--broadcast-size B]: every MS milliseconds the server sends every open
 * connection the same message of B bytes, "c1m-fanout SEQ SENT_US " padded with '.' (fanout.h):
 * a WebSocket text frame, an SSE event ("data: MESSAGE" and a blank line) or a stream's chunk,
 * SENT_US read once before the first write: the last connection's delay includes every write
 * before its own, which is what a server pushing to N connections costs. It counts the sends of
 * each broadcast, the server's own side of "delivered of expected".
 */
#ifndef C1M_BROADCAST_H
#define C1M_BROADCAST_H

#include <stdlib.h>

#include "fanout.h"
#include "server-http.h"
#include "server.h"
#include "ws.h"

#define BROADCAST_LOG 1024 /* the sends of the last this many broadcasts are kept for "count" */
#define BROADCAST_MAX_SIZE 65536

static long broadcast_every_ms, broadcast_size = 64, broadcast_seq;
static double broadcast_next;
static long broadcast_sent[BROADCAST_LOG];
static unsigned long long broadcast_sends;

/* The protocol's message around payload (ws frame, SSE event, chunk): its length in out. */
static size_t broadcast_message(unsigned char *out, const unsigned char *payload, size_t len) {
  if (is_ws()) return ws_frame(out, WS_TEXT, payload, len, NULL, NULL);
  int sse = strcmp(proto->name, "sse") == 0;
  int hn = sse ? snprintf((char *)out, 16, "data: ") : snprintf((char *)out, 16, "%zx\r\n", len);
  memcpy(out + hn, payload, len);
  memcpy(out + hn + len, sse ? "\n\n" : "\r\n", 2);
  return (size_t)hn + len + 2;
}

/* Whether this server's protocol carries broadcasts: ws, sse and stream, without --app. */
static int broadcast_carried(void) {
  return !app && (is_ws() || strcmp(proto->name, "sse") == 0 || strcmp(proto->name, "stream") == 0);
}

/* One broadcast to every open connection (not one still opening or in its TLS handshake). */
static void broadcast_now(void) {
  static unsigned char payload[BROADCAST_MAX_SIZE], frame[BROADCAST_MAX_SIZE + 24];
  long seq = ++broadcast_seq;
  long long sent_us = fanout_clock_us();
  char head[FANOUT_HEAD_MAX];
  int hn = fanout_head(head, seq, sent_us);
  memset(payload, '.', (size_t)broadcast_size);
  memcpy(payload, head, (size_t)hn);
  size_t n = broadcast_message(frame, payload, (size_t)broadcast_size);
  long sent = 0;
  for (long fd = 0; fd <= max_conn_fd; fd++) {
    struct conn *c = &conns[fd];
    if (!c->is_conn || !c->upgraded || c->tls_shaking) continue;
    if (send_or_queue((int)fd, frame, n) < 0) { drop((int)fd); continue; }
    sent++;
  }
  broadcast_sent[seq % BROADCAST_LOG] = sent;
  broadcast_sends += (unsigned long long)sent;
}

/* Send a broadcast when one is due; the epoll timeout (ms) until the next, or `other` if sooner. */
static int broadcast_timer(double at, int other) {
  if (!broadcast_every_ms) return other;
  if (broadcast_next == 0) broadcast_next = at + broadcast_every_ms / 1000.0;
  if (at >= broadcast_next) {
    broadcast_now();
    broadcast_next += broadcast_every_ms / 1000.0;
    at = now();
    if (broadcast_next < at) broadcast_next = at + broadcast_every_ms / 1000.0; /* a broadcast overran the period */
  }
  int wait = (int)((broadcast_next - at) * 1000) + 1;
  return other >= 0 && other < wait ? other : wait;
}

/* ,"broadcasts":N,"broadcastSent":ALL,"broadcastSends":"SEQ:SENT,..." (the last BROADCAST_LOG) for "count". */
static void broadcast_print(void) {
  if (!broadcast_every_ms && !broadcast_seq) return;
  printf(",\"broadcasts\":%ld,\"broadcastSent\":%llu,\"broadcastSends\":\"", broadcast_seq, broadcast_sends);
  long from = broadcast_seq - BROADCAST_LOG + 1 > 1 ? broadcast_seq - BROADCAST_LOG + 1 : 1;
  for (long s = from; s <= broadcast_seq; s++) printf("%s%ld:%ld", s == from ? "" : ",", s, broadcast_sent[s % BROADCAST_LOG]);
  printf("\"");
}

/* The command "broadcast MS BYTES": start broadcasting from now (MS 0 stops); -1 when refused. */
static int broadcast_command(const char *args) {
  long every, size;
  char tail;
  if (sscanf(args, "%ld %ld %c", &every, &size, &tail) != 2) return -1;
  if ((every != 0 && (every < 10 || every > 86400000L)) || size < FANOUT_HEAD_MAX || size > BROADCAST_MAX_SIZE) return -1;
  if (every && !broadcast_carried()) return -1;
  broadcast_every_ms = every;
  broadcast_size = size;
  broadcast_next = 0;
  return 0;
}

/* --broadcast-every MS / --broadcast-size B; 1 when argv[*i] was one, -1 when its value is wrong. */
static int parse_broadcast_option(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) return 0;
  int every = strcmp(argv[*i], "--broadcast-every") == 0;
  if (!every && strcmp(argv[*i], "--broadcast-size") != 0) return 0;
  char *end;
  long v = strtol(argv[++*i], &end, 10);
  if (*end) return -1;
  if (every) return v >= 10 && v <= 86400000L ? (broadcast_every_ms = v, 1) : -1;
  return v >= FANOUT_HEAD_MAX && v <= BROADCAST_MAX_SIZE ? (broadcast_size = v, 1) : -1;
}

#endif
