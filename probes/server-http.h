/*
 * The server's protocols that open with HTTP. --protocol ws: a GET with Upgrade: websocket and a
 * Sec-WebSocket-Key is answered 101 with its Sec-WebSocket-Accept (RFC 6455), anything else 400
 * and a close; after it every frame (masked, as a client's must be) comes back unmasked with the
 * same opcode and payload, a ping gets a pong, a close is answered with a close. --protocol sse: a
 * GET is answered 200 with Content-Type text/event-stream and one event; --protocol stream: 200
 * with a chunked body and one chunk; the stream then stays open and idle, and whatever the client
 * sends is read and dropped. With --app (server-app.h) a WebSocket's text messages go to the dialect
 * instead of being echoed, and an upgrade to a target the dialect does not serve is answered 404.
 */
#ifndef C1M_SERVER_HTTP_H
#define C1M_SERVER_HTTP_H

#include <string.h>
#include <strings.h>

#include "http.h"
#include "server-app.h"
#include "server.h"
#include "ws.h"

#define WS_MAX_FRAME (1 << 20)
#define WS_MAX_HEAD 8192

/* The answer to a GET that opens a stream, sent as it is. */
static const char SSE_ANSWER[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\ndata: c1m\n\n";
static const char STREAM_ANSWER[] = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nc1m\n\r\n";

static int is_ws(void) { return strcmp(proto->name, "ws") == 0; }

/* Whether the GET's request target (its first line's second word) is one the dialect serves. */
static int app_serves_head(const char *head) {
  const char *start = head + 4, *end = strchr(start, ' ');
  if (!end || end - start > 1024) return 0;
  char target[1025];
  memcpy(target, start, (size_t)(end - start));
  target[end - start] = 0;
  return app->serves(target);
}

/*
 * The HTTP opening once its head is whole: the WebSocket upgrade answered 101, or the GET of a
 * stream answered 200 and its first message. Returns the bytes used, 0 to wait for more, -1 to close.
 */
static long http_opening(int fd, const unsigned char *data, size_t len) {
  const unsigned char *end = memmem(data, len, "\r\n\r\n", 4);
  if (!end) return len > WS_MAX_HEAD ? -1 : 0;
  size_t head_len = (size_t)(end - data) + 4;
  char head[WS_MAX_HEAD + 8];
  if (head_len > WS_MAX_HEAD) return -1;
  memcpy(head, data, head_len);
  head[head_len] = 0;
  size_t key_len = 0, up_len = 0;
  const char *key = http_header(head, "Sec-WebSocket-Key:", &key_len);
  const char *up = http_header(head, "Upgrade:", &up_len);
  int is_get = strncmp(head, "GET ", 4) == 0;
  int ok = is_ws() ? is_get && key && key_len > 0 && key_len <= 64 && up && up_len == 9 && strncasecmp(up, "websocket", 9) == 0 : is_get;
  if (!ok) {
    static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (conn_write(fd, bad, sizeof bad - 1) < 0) { /* closing anyway */ }
    rejected++;
    return -1;
  }
  if (app && !app_serves_head(head)) {
    static const char missing[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (conn_write(fd, missing, sizeof missing - 1) < 0) { /* closing anyway */ }
    return -1;
  }
  char upgrade[256];
  const char *reply = strcmp(proto->name, "sse") == 0 ? SSE_ANSWER : STREAM_ANSWER;
  size_t n = strlen(reply);
  if (is_ws()) {
    char accept[29];
    ws_accept(key, key_len, accept);
    n = (size_t)snprintf(upgrade, sizeof upgrade, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
    reply = upgrade;
  }
  if (send_or_queue(fd, reply, n) < 0) return -1;
  conns[fd].upgraded = 1;
  if (app && app->on_open(fd) < 0) return -1;
  return (long)head_len;
}

/*
 * A data frame for the dialect: a whole text message is unmasked and handed to it; binary frames
 * are dropped; a fragmented message is not taken (-1: the connection closes).
 */
static int app_message(int fd, const unsigned char *f, int hl, uint64_t plen) {
  int opcode = f[0] & 0x0f;
  if (!(f[0] & 0x80) || opcode == 0x0) return -1;
  if (opcode != 0x1) return 0;
  char small[4096];
  char *text = plen <= sizeof small ? small : malloc(plen);
  if (!text) return -1;
  ws_mask((unsigned char *)text, f + hl, plen, f + hl - 4);
  int rc = app->on_text(fd, text, plen);
  if (text != small) free(text);
  return rc;
}

/* Echo every whole frame in data: bytes used (the rest waits for more), or -1 to close. */
static long ws_frames(int fd, const unsigned char *data, size_t len) {
  size_t off = 0;
  for (;;) {
    const unsigned char *f = data + off;
    int hl = 0;
    uint64_t plen = 0;
    int rc = ws_frame_header(f, len - off, 1, 0, &hl, &plen);
    if (rc < 0 || (rc > 0 && plen > WS_MAX_FRAME)) return -1;
    if (rc == 0 || len - off < hl + plen) break;
    int opcode = f[0] & 0x0f;
    off += hl + plen;
    if (opcode == 0xA) continue; /* a pong: nothing to answer */
    if (app && opcode < 0x8) {
      if (app_message(fd, f, hl, plen) < 0) return -1;
      continue;
    }
    unsigned char small[16384 + 14];
    unsigned char *out = plen + 14 <= sizeof small ? small : malloc(plen + 14);
    if (!out) return -1;
    size_t o = ws_frame(out, opcode == 0x9 ? WS_PONG : f[0], f + hl, plen, NULL, f + hl - 4);
    int sent = send_or_queue(fd, out, o);
    if (out != small) free(out);
    if (sent < 0) return -1;
    echoed_bytes += plen;
    if (opcode == 0x8) return -1; /* close answered with a close */
  }
  return (long)off;
}

/* Bytes after the opening: WebSocket frames echoed, or a stream's dropped. */
static long after_opening(int fd, const unsigned char *data, size_t len) {
  return is_ws() ? ws_frames(fd, data, len) : (long)len;
}

/* A connection that opens with HTTP: its head, then WebSocket frames, or bytes dropped for a stream. */
static void on_readable_http(int fd) {
  unsigned char buf[16384];
  struct conn *c = &conns[fd];
  struct conn_ext *e = &exts[fd];
  for (int rounds = 0; rounds < 16; rounds++) {
    if (e->pending) return; /* wait for the peer to read before answering more */
    ssize_t n = conn_read(fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN)) { drop(fd); return; }
    if (n < 0) return;
    struct wsin *in = e->in;
    const unsigned char *data = buf;
    size_t len = (size_t)n;
    if (in) {
      if (in->len + len > WS_MAX_FRAME + WS_MAX_HEAD) { drop(fd); return; }
      struct wsin *grown = realloc(in, sizeof *in + in->len + len);
      if (!grown) { drop(fd); return; }
      memcpy(grown->data + grown->len, buf, len);
      grown->len += len;
      in = e->in = grown;
      data = in->data;
      len = in->len;
    }
    long used = 0;
    if (!c->upgraded) used = http_opening(fd, data, len);
    if (used >= 0 && c->upgraded) {
      long more = after_opening(fd, data + used, len - (size_t)used);
      used = more < 0 ? -1 : used + more;
    }
    if (used < 0) { drop(fd); return; }
    size_t rest = len - (size_t)used;
    if (rest == 0) {
      if (in) { free(in); e->in = NULL; } /* written only when set: an unused slot stays untouched */
    } else if (!in || used > 0) {
      struct wsin *keep = malloc(sizeof *keep + rest);
      if (!keep) { drop(fd); return; }
      keep->len = rest;
      memcpy(keep->data, data + used, rest);
      free(in);
      e->in = keep;
    }
    if (n < (ssize_t)sizeof buf && !more_in_tls(fd)) return;
  }
}

static const struct protocol proto_ws = {.name = "ws", .on_readable = on_readable_http};
static const struct protocol proto_sse = {.name = "sse", .on_readable = on_readable_http};
static const struct protocol proto_stream = {.name = "stream", .on_readable = on_readable_http};

#endif
