/*
 * --app NAME: an application session over the protocol (WebSocket, raw TCP or TLS). Once the
 * transport is open (TCP, TLS, the WebSocket 101) the connection is in state SESSION, still in
 * flight: the dialect (app-*.h, one row each in echo-client.c's apps[]) sends its opening, reads
 * the server's messages, and the connection counts only when the dialect says the server accepted
 * the session. A message is one WebSocket frame's payload, or one line (up to \n, CR stripped) over
 * raw TCP or TLS; a dialect with `lines` reads lines over WebSocket too (NATS: frames are a byte
 * stream, each frame holding whole lines). A refusal is quoted in the application's terms.
 * Heartbeats go out every app_heartbeat_every seconds on each open connection.
 */
#ifndef C1M_CLIENT_APP_H
#define C1M_CLIENT_APP_H

#include "client-messages.h"
#include "ws.h"

/* What a dialect's start and on_text say (or -1: the connection was dropped, the refusal noted). */
#define APP_NONE 0
#define APP_ACCEPTED 1 /* the server accepted the session: the connection counts */
#define APP_PUSHED 2   /* a message the server pushed (an event, a MSG), counted */
/* The longest message a dialect reads or sends; a longer one is counted as pushed, unread. */
#define APP_MSG_MAX 4096

struct app {
  const char *name; /* --app's value */
  /* Take an option (name, value) of this dialect; 1 taken, 0 not its own, -1 a bad value. */
  int (*option)(const char *name, const char *value);
  /* Once in main after the options: 0, or -1 when they do not fit (usage). */
  int (*setup)(void);
  int (*start)(int fd); /* the transport is open: send the opening; APP_NONE, APP_ACCEPTED or -1 */
  int (*on_text)(int fd, const char *msg, size_t len); /* one message, NUL-terminated at len */
  int (*heartbeat)(int fd); /* every app_heartbeat_every seconds on each open connection; -1 dropped */
  /* --publish (client-publish.h): the dialect's message carrying payload (len bytes, NUL-terminated)
   * to every session, into out; its length as snprintf counts it. NULL: the dialect does not publish. */
  int (*publish)(char *out, size_t size, const char *payload, int len);
  /* Why the options leave nothing to publish to (NULL: they do); optional. */
  const char *(*publish_refusal)(void);
  const char *subprotocol; /* the Sec-WebSocket-Protocol asked for, which the server must choose */
  int ws_only;             /* lives on WebSocket only */
  int lines;               /* messages are lines over WebSocket too */
  int binary;              /* over WebSocket, messages go out in binary frames */
};

/* app_heartbeat_every (client.h): seconds between heartbeats (0: none); a dialect may learn it
 * from the server (Engine.IO 3). */
/* Set by on_text: bytes after this line that are a payload, not lines (NATS MSG), skipped. */
static uint64_t app_skip_next;
static uint32_t app_count;
/* A per-process token in {id}: unique across processes and hosts with the connection's number. */
static char app_token[20];

/* Send one message: a masked WebSocket frame, or the bytes as given. -1 when it failed (dropped). */
static int app_send(int fd, const char *text, size_t len) {
  static unsigned char out[APP_MSG_MAX + 14];
  if (len > APP_MSG_MAX) len = APP_MSG_MAX;
  const void *bytes = text;
  size_t n = len;
  if (proto->ws_frames) {
    uint64_t m = next_random();
    unsigned char key[4];
    memcpy(key, &m, 4);
    n = ws_frame(out, (unsigned char)(app->binary ? 0x82 : WS_TEXT), (const unsigned char *)text, len, key, NULL);
    bytes = out;
  }
  if (sent_whole(fd, bytes, n)) return 0;
  drop_failed(fd, "write", errno);
  return -1;
}

static int app_send_text(int fd, const char *text) { return app_send(fd, text, strlen(text)); }

/* Text made printable for the report: control characters and bytes beyond ASCII as '?' (quotes are
 * escaped where it is printed). */
static void app_note(char *to, size_t size, const char *why) {
  snprintf(to, size, "%s", why);
  for (char *c = to; *c; c++) if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) *c = '?';
}

/* The server refused the session: why (in the application's terms) noted, the connection dropped. */
static int refuse_session(int fd, const char *why) {
  if (conns[fd].state == SESSION) sessions_refused++;
  app_note(last_error, sizeof last_error, why);
  if (!session_error[0]) app_note(session_error, sizeof session_error, why);
  refused++;
  drop(fd, 1);
  return -1;
}

/* The server closed before accepting the session: a WebSocket close (payload: code, reason) or EOF. */
static void app_closed(int fd, const unsigned char *payload, uint64_t len) {
  char why[200];
  if (!payload) snprintf(why, sizeof why, "%s: the server closed the connection before accepting the session", app->name);
  else if (len < 2) snprintf(why, sizeof why, "%s: closed with no status code", app->name);
  else snprintf(why, sizeof why, "%s: closed %d %.*s", app->name, payload[0] << 8 | payload[1], (int)(len > 120 ? 120 : len - 2), (const char *)payload + 2);
  if (conns[fd].state == SESSION) sessions_refused++;
  app_note(last_error, sizeof last_error, why);
  if (!session_error[0] && conns[fd].state == SESSION) app_note(session_error, sizeof session_error, why);
}

/* What a dialect said of a connection: it counts once accepted; pushes are counted. */
static int app_result(int fd, int rc, size_t len) {
  if (rc < 0) return -1;
  if (rc == APP_ACCEPTED && conns[fd].state == SESSION) {
    sessions_accepted++;
    count_established(fd);
  } else if (rc == APP_PUSHED) {
    pushed_events++;
    pushed_bytes += len;
  }
  return 0;
}

/* The transport is open: the dialect's opening. */
static int app_open(int fd) {
  conns[fd].state = SESSION;
  exts[fd].app_n = ++app_count;
  exts[fd].app_state = 0;
  return app_result(fd, app->start(fd), 0);
}

/* One message to the dialect, NUL-terminated (a longer one than APP_MSG_MAX is pushed, unread). */
static int app_message(int fd, const unsigned char *msg, size_t len) {
  static char text[APP_MSG_MAX + 1];
  fanout_note(msg, len);
  if (len > APP_MSG_MAX) return app_result(fd, APP_PUSHED, len);
  memcpy(text, msg, len);
  text[len] = 0;
  return app_result(fd, app->on_text(fd, text, len), len);
}

/*
 * Lines in bytes: each to the dialect, a payload it announced skipped; over a stream (raw TCP) a
 * line cut by a read is carried in the connection's struct rx (rx->skip: payload bytes still to
 * skip; skip_traffic: in a line longer than RX_KEEP, counted as pushed and skipped to its end).
 */
static int app_lines(int fd, const unsigned char *in, size_t n, int stream) {
  struct rx *rx = stream ? exts[fd].side : NULL;
  unsigned char joined[RX_KEEP + READ_MAX];
  if (rx && rx->len) {
    memcpy(joined, rx->buf, (size_t)rx->len);
    memcpy(joined + rx->len, in, n);
    in = joined;
    n += (size_t)rx->len;
    rx->len = 0;
  }
  uint64_t skip = rx ? rx->skip : 0;
  size_t at = 0;
  while (at < n) {
    if (skip) {
      size_t take = skip < n - at ? (size_t)skip : n - at;
      fanout_note(in + at, take); /* a payload the dialect announced (NATS MSG): a fan-out message's token leads it */
      pushed_bytes += take;
      skip -= take;
      at += take;
      continue;
    }
    const unsigned char *nl = memchr(in + at, '\n', n - at);
    if (rx && rx->skip_traffic) { /* the rest of an overlong line */
      if (!nl) { at = n; break; }
      rx->skip_traffic = 0;
      at = (size_t)(nl - in) + 1;
      continue;
    }
    if (!nl) break;
    size_t len = (size_t)(nl - (in + at));
    size_t text_len = len > 0 && in[at + len - 1] == '\r' ? len - 1 : len;
    app_skip_next = 0;
    if (app_message(fd, in + at, text_len) < 0) return -1;
    at += len + 1;
    skip = app_skip_next;
  }
  if (!stream) return 0;
  if (at < n || skip) {
    if (!rx && !(rx = carry(fd))) return -1;
    rx->skip = skip;
    if (n - at > RX_KEEP) {
      pushed_events++;
      pushed_bytes += n - at;
      rx->skip_traffic = 1;
    } else {
      memcpy(rx->buf, in + at, n - at);
      rx->len = (int)(n - at);
    }
  } else if (rx && !rx->skip_traffic) {
    free(rx);
    exts[fd].side = NULL;
  }
  return 0;
}

/*
 * A WebSocket data frame's payload (whole, or inflated): one message, or lines for a dialect that
 * reads lines; NULL: a message too long to have been kept, counted as pushed.
 */
static int app_frame(int fd, const unsigned char *payload, uint64_t len) {
  if (!payload) return app_result(fd, APP_PUSHED, (size_t)len);
  if (app->lines) return app_lines(fd, payload, (size_t)len, 0);
  return app_message(fd, payload, (size_t)len);
}

/* Raw TCP or TLS: the bytes are lines. */
static int app_on_bytes(int fd, const char *buf, ssize_t n) {
  return app_lines(fd, (const unsigned char *)buf, (size_t)n, 1);
}

/* The dialect's heartbeat on every open connection each app_heartbeat_every seconds. */
static void app_heartbeat_tick(void) {
  if (!app || !app->heartbeat || app_heartbeat_every <= 0) return;
  if (app_next_heartbeat <= 0) app_next_heartbeat = now() + app_heartbeat_every;
  if (now() < app_next_heartbeat) return;
  for (long fd = 0; fd < fd_slots; fd++) {
    if (conns[fd].state == OPEN && app->heartbeat((int)fd) == 0) heartbeats_sent++;
  }
  app_next_heartbeat = now() + app_heartbeat_every;
}

/* text with {n} (the connection's number) and {id} (unique to it) replaced, into out. */
static size_t app_expand(int fd, const char *text, char *out, size_t size) {
  size_t o = 0;
  for (const char *t = text; *t && o + 1 < size; t++) {
    if (strncmp(t, "{n}", 3) == 0) { o += (size_t)snprintf(out + o, size - o, "%u", exts[fd].app_n); t += 2; }
    else if (strncmp(t, "{id}", 4) == 0) { o += (size_t)snprintf(out + o, size - o, "%s-%u", app_token, exts[fd].app_n); t += 3; }
    else out[o++] = *t;
    if (o >= size) o = size - 1;
  }
  out[o] = 0;
  return o;
}

/* The value of "key" in a flat JSON text as a number, or dflt. */
static double app_json_number(const char *json, const char *key, double dflt) {
  char want[64];
  snprintf(want, sizeof want, "\"%s\":", key);
  const char *at = strstr(json, want);
  return at ? atof(at + strlen(want)) : dflt;
}

/* Whether the JSON text has "key":"value" (no spaces, as servers write it). */
static int app_json_is(const char *json, const char *key, const char *value) {
  char want[96];
  snprintf(want, sizeof want, "\"%s\":\"%s\"", key, value);
  return strstr(json, want) != NULL;
}

/* text as a JSON string body (quotes and control characters escaped) into out; its length. */
static size_t app_json_escape(const char *text, char *out, size_t size) {
  size_t o = 0;
  for (const unsigned char *t = (const unsigned char *)text; *t && o + 7 < size; t++) {
    if (*t == '"' || *t == '\\') { out[o++] = '\\'; out[o++] = (char)*t; }
    else if (*t < 0x20) o += (size_t)snprintf(out + o, size - o, "\\u%04x", *t);
    else out[o++] = (char)*t;
  }
  out[o] = 0;
  return o;
}

/* An event name as --event gives it: 1 to 100 printable ASCII characters, no quote or backslash. */
static int app_plain_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > 100) return 0;
  for (const unsigned char *c = (const unsigned char *)name; *c; c++) if (*c <= 0x20 || *c > 0x7e || *c == '"' || *c == '\\') return 0;
  return 1;
}

static void app_seed_token(void) { snprintf(app_token, sizeof app_token, "c1m%08x", (unsigned)(next_random() >> 32)); }

#endif
