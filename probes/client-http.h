/*
 * HTTP/1.1 server push. --protocol sse or stream: a connection counts once the answer to its GET
 * is 200 (for sse with Content-Type text/event-stream); what the server pushes after it is counted
 * ("pushed" bytes, and SSE events or chunks), never taken as a refusal. --protocol long-poll: a
 * connection counts once its GET is sent (the server holds it until it has something); each
 * answer, 200 (a message, counted) or 204 (nothing new), is read to its end and the GET sent
 * again on the same connection; any other status ends the connection, counted by status in
 * closeCodes as a WebSocket close code is. None has an echo check.
 */
#ifndef C1M_CLIENT_HTTP_H
#define C1M_CLIENT_HTTP_H

#include <strings.h>

#include "client-fanout.h"
#include "client.h"
#include "http.h"

/* Long-poll: where a connection is in the answer it is reading. */
enum lp_phase { LP_HEAD, LP_LENGTH, LP_CHUNKED, LP_TO_CLOSE };

static const char *http_accept(void) { return strcmp(proto->name, "sse") == 0 ? "text/event-stream" : "*/*"; }

/*
 * Every fan-out message in a piece of pushed payload (SSE events and stream chunks carry the token
 * in their text; several may come in one read). A token split between two reads is not timed.
 */
static void fanout_scan(const char *buf, ssize_t n) {
  const char *at = buf, *end = buf + n;
  while (at < end && (at = memmem(at, (size_t)(end - at), FANOUT_TOKEN, FANOUT_TOKEN_LEN))) {
    fanout_note((const unsigned char *)at, (size_t)(end - at));
    at += FANOUT_TOKEN_LEN;
  }
}

/* Pushed payload: its bytes, and for SSE its events (a blank line ends one). */
static void count_payload(void *ctx, const char *buf, ssize_t n) {
  struct conn_ext *c = ctx;
  pushed_bytes += (unsigned long long)n;
  fanout_scan(buf, n);
  if (strcmp(proto->name, "sse") != 0) return;
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\r') continue;
    if (buf[i] == '\n') { if (c->sse_nl) { pushed_events++; c->sse_nl = 0; } else c->sse_nl = 1; }
    else c->sse_nl = 0;
  }
}

/* In stream mode each chunk is one message. */
static void count_chunk(void *ctx) {
  (void)ctx;
  if (strcmp(proto->name, "stream") == 0) pushed_events++;
}

static ssize_t unchunk(int fd, const char *buf, ssize_t n) {
  struct conn_ext *c = &exts[fd];
  return http_unchunk(&c->chunk_state, &c->chunk_left, buf, n, count_payload, count_chunk, c);
}

/* What the server pushed, unframed when chunked. */
static int push_on_bytes(int fd, const char *buf, ssize_t n) {
  if (exts[fd].chunked) unchunk(fd, buf, n);
  else count_payload(&exts[fd], buf, n);
  return 0;
}

/* The GET of a stream; the answer is read in push_on_opening. */
static void push_open(int fd) {
  if (!begin_opening(fd)) return;
  char out[1024 + sizeof extra_headers];
  send_opening(fd, out, http_get(out, sizeof out, ws_path, ws_host, http_accept(), extra_headers));
}

static void push_on_opening(int fd, struct opening *op) {
  char *end = opening_head_end(fd, op);
  if (!end) return;
  if (strncmp(op->buf, "HTTP/1.1 200", 12) != 0 && strncmp(op->buf, "HTTP/1.0 200", 12) != 0) { refuse_opening(fd, "the status was not 200"); return; }
  size_t len = 0;
  const char *type = http_header(op->buf, "Content-Type:", &len);
  if (strcmp(proto->name, "sse") == 0 && (!type || len < 17 || strncasecmp(type, "text/event-stream", 17) != 0)) { refuse_opening(fd, "the Content-Type was not text/event-stream"); return; }
  exts[fd].chunked = http_header_ends(op->buf, "Transfer-Encoding:", "chunked");
  exts[fd].chunk_state = CHUNK_SIZE;
  exts[fd].chunk_left = 0;
  opened_with_rest(fd, op, (int)(end + 4 - op->buf));
}

/* Long-poll: the GET that waits for the server's next message; -1 when it could not be written. */
static int lp_request(int fd) {
  char out[1024 + sizeof extra_headers];
  int n = http_get(out, sizeof out, ws_path, ws_host, http_accept(), extra_headers);
  return sent_whole(fd, out, (size_t)n) ? 0 : -1;
}

/* The server holds the request until it has something: the connection counts once it is asked. */
static void lp_open(int fd) {
  if (lp_request(fd) < 0) { drop_failed(fd, "write", errno); return; }
  count_established(fd);
}

/* Long-poll: the server ended a connection with an answer other than 200 or 204, its status counted. */
static int lp_refuse(int fd, int status) {
  struct opening *op = exts[fd].side;
  if (status) snprintf(last_error, sizeof last_error, "long-poll: the server answered with status %d", status);
  else snprintf(last_error, sizeof last_error, "long-poll: an answer that is not HTTP/1.x or a head longer than 2 KiB");
  if (op) keep_first_bytes(op->buf, op->len);
  close_codes[status > 0 && status < 1000 ? status : 0]++;
  peer_closed++;
  refused++;
  drop(fd, 1);
  return -1;
}

/* Long-poll: the answer is whole; ask again on the same connection. */
static int lp_answered(int fd) {
  exts[fd].lp_phase = LP_HEAD;
  if (lp_request(fd) == 0) return 0;
  drop_failed(fd, "write", errno);
  return -1;
}

/* An answer's head so far; -1 when the connection was dropped, else the bytes of n it used. */
static ssize_t lp_head(int fd, const char *buf, ssize_t n) {
  struct conn_ext *c = &exts[fd];
  struct opening *op = c->side;
  if (!op) {
    if (!(op = c->side = malloc(sizeof *op))) { note_error("malloc", ENOMEM); drop(fd, 1); return -1; }
    op->len = 0;
  }
  ssize_t take = n < HS_MAX - op->len ? n : HS_MAX - op->len;
  memcpy(op->buf + op->len, buf, (size_t)take);
  op->len += (int)take;
  op->buf[op->len] = 0;
  char *end = strstr(op->buf, "\r\n\r\n");
  if (!end) return op->len >= HS_MAX ? lp_refuse(fd, 0) : take;
  int head = (int)(end + 4 - op->buf);
  int status = http_status(op->buf);
  if (!status) return lp_refuse(fd, 0);
  if (status != 200 && status != 204) return lp_refuse(fd, status);
  size_t cl_len = 0;
  const char *cl = http_header(op->buf, "Content-Length:", &cl_len);
  if (status == 200) pushed_events++;
  if (http_header_ends(op->buf, "Transfer-Encoding:", "chunked")) { c->lp_phase = LP_CHUNKED; c->chunk_state = CHUNK_SIZE; c->chunk_left = 0; }
  else if (cl) { c->body_left = strtoull(cl, NULL, 10); c->lp_phase = c->body_left ? LP_LENGTH : LP_HEAD; }
  else c->lp_phase = status == 204 ? LP_HEAD : LP_TO_CLOSE;
  take -= op->len - head;
  free(op);
  c->side = NULL;
  if (c->lp_phase == LP_HEAD && lp_answered(fd) < 0) return -1;
  return take;
}

/*
 * Long-poll answers: a head, then a body by Content-Length, chunked, or until the server closes.
 * A 200 is one message; a 204 (the server's own timeout, in many designs) only renews the poll.
 */
static int lp_on_bytes(int fd, const char *buf, ssize_t n) {
  struct conn_ext *c = &exts[fd];
  while (n > 0) {
    ssize_t used;
    if (c->lp_phase == LP_LENGTH) {
      used = (uint64_t)n < c->body_left ? n : (ssize_t)c->body_left;
      pushed_bytes += (unsigned long long)used;
      c->body_left -= (uint64_t)used;
      if (!c->body_left && lp_answered(fd) < 0) return -1;
    } else if (c->lp_phase == LP_CHUNKED) {
      used = unchunk(fd, buf, n);
      if (c->chunk_state == CHUNK_END && lp_answered(fd) < 0) return -1;
    } else if (c->lp_phase == LP_TO_CLOSE) {
      pushed_bytes += (unsigned long long)n;
      return 0;
    } else if ((used = lp_head(fd, buf, n)) < 0) {
      return -1;
    } else if (used == n && exts[fd].side) {
      return 0; /* the head goes on in the next read */
    }
    buf += used;
    n -= used;
  }
  return 0;
}

static const struct protocol proto_sse = {
  .name = "sse", .opening = "http", .open = push_open, .on_opening = push_on_opening, .on_bytes = push_on_bytes,
};
static const struct protocol proto_stream = {
  .name = "stream", .opening = "http", .open = push_open, .on_opening = push_on_opening, .on_bytes = push_on_bytes,
};
static const struct protocol proto_long_poll = {.name = "long-poll", .opening = "http", .open = lp_open, .on_bytes = lp_on_bytes};

#endif
