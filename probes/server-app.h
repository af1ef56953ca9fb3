/*
 * The server's application dialects over WebSocket (--app): what a dialect is, the text frames it
 * sends, and its timers. A dialect reads each whole text message a client sends and answers it;
 * its heartbeats and idle limits run on one sweep of all connections every tick, not one timer per
 * connection: each connection keeps the tick its next step is due in one byte (struct conn's due),
 * so a million connections cost no more than their two bytes each.
 */
#ifndef C1M_SERVER_APP_H
#define C1M_SERVER_APP_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "server.h"
#include "ws.h"

/* One dialect of --app: one row of the table `apps` in echo-server.c. */
struct server_app {
  const char *name;
  /* Whether the upgrade's request target (path and query, NUL-ended) is where the dialect is served. */
  int (*serves)(const char *target);
  /* The upgrade is answered: the dialect's opening (what it sends first; its first due tick). */
  int (*on_open)(int fd);
  /* One whole text message from the client: 0, or -1 to close the connection. */
  int (*on_text)(int fd, const char *msg, size_t len);
  /* The connection's due tick has come (its heartbeat or its limit): 0, or -1 to close it. */
  int (*on_due)(int fd);
};
static const struct server_app *app;

/* --ping-interval, --ping-timeout (socketio) and --idle-timeout (phoenix), in milliseconds. */
static long ping_interval_ms = 25000, ping_timeout_ms = 20000, idle_timeout_ms = 60000;

/*
 * Sessions opened (a namespace joined, a channel joined), refused, heartbeats answered or taken,
 * connections closed for a missed heartbeat or too long a silence, events answered.
 */
static long app_sessions, app_refused, app_heartbeats, app_timeouts, app_events;

/* The sweep: its tick's length, the ticks swept so far (mod 256 in struct conn), when it next runs. */
static long tick_ms = 1000;
static uint32_t app_tick;
static double next_sweep_at;
/* The highest descriptor a connection has had: the sweep looks no further. */
static long max_conn_fd = -1;

/* A tick length at which the longest of these periods is at most 100 ticks (a due byte holds 127). */
static void app_set_tick(long longest_ms) {
  tick_ms = (longest_ms + 99) / 100;
  if (tick_ms < 10) tick_ms = 10;
}

/* The ticks a period of ms takes, at least one, plus one so that no limit comes early. */
static uint8_t ticks_for(long ms) { return (uint8_t)((ms + tick_ms - 1) / tick_ms + 1); }

/* Set fd's next step to come after ms. */
static void due_in(int fd, long ms) { conns[fd].due = (uint8_t)(app_tick + ticks_for(ms)); }

/* Whether fd's due tick has come (due is at most 127 ticks ahead, so the difference tells). */
static int is_due(int fd) { return (uint8_t)((uint8_t)app_tick - conns[fd].due) < 128; }

/* Whether a request target's query (after its ?) has the parameter `param` (name=value) exactly. */
static int query_has(const char *target, const char *param) {
  const char *q = strchr(target, '?');
  size_t n = strlen(param);
  while (q) {
    q++;
    if (strncmp(q, param, n) == 0 && (q[n] == '&' || q[n] == 0)) return 1;
    q = strchr(q, '&');
  }
  return 0;
}

/* Send one unmasked text frame; -1 when the connection failed. */
static int app_send(int fd, const char *text, size_t len) {
  unsigned char small[512];
  unsigned char *out = len + 14 <= sizeof small ? small : malloc(len + 14);
  if (!out) return -1;
  size_t n = ws_frame(out, WS_TEXT, (const unsigned char *)text, len, NULL, NULL);
  int rc = send_or_queue(fd, out, n);
  if (out != small) free(out);
  return rc;
}

/* Send a close frame with a status code (RFC 6455 section 5.5.1) before the caller drops fd. */
static void app_send_close(int fd, int code) {
  unsigned char body[2] = {(unsigned char)(code >> 8), (unsigned char)code}, out[16];
  size_t n = ws_frame(out, WS_CLOSE, body, 2, NULL, NULL);
  if (send_or_queue(fd, out, n) < 0) { /* closing anyway */ }
}

/*
 * A new unique id (Engine.IO's sid, Socket.IO's socket id): a counter through a bijective mix
 * keyed with random bytes of this run, as 11 URL-safe base64 characters and a NUL.
 */
static void app_new_id(char out[12]) {
  static uint64_t key, counter;
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (!key && getrandom(&key, sizeof key, 0) != sizeof key) key = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
  uint64_t z = (++counter) ^ key;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  for (int i = 0; i < 11; i++) out[i] = digits[(z >> (6 * i)) & 63];
  out[11] = 0;
}

/* One tick: every open dialect connection whose step is due takes it. */
static void app_sweep(void) {
  app_tick++;
  for (long fd = 0; fd <= max_conn_fd; fd++) {
    struct conn *c = &conns[fd];
    if (!c->is_conn || !c->upgraded || !is_due((int)fd)) continue;
    if (app->on_due((int)fd) < 0) drop((int)fd);
  }
}

/* Milliseconds until the next sweep (for epoll_wait), running every sweep that is due first. */
static int app_timers(double at) {
  if (!app) return -1;
  if (next_sweep_at == 0) next_sweep_at = at + tick_ms / 1000.0;
  if (at >= next_sweep_at) {
    app_sweep();
    next_sweep_at += tick_ms / 1000.0;
    if (next_sweep_at < at) next_sweep_at = at + tick_ms / 1000.0; /* late: the ticks stretch */
  }
  int ms = (int)((next_sweep_at - at) * 1000.0) + 1;
  return ms < 1 ? 1 : ms;
}

#endif
