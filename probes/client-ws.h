/*
 * --protocol ws: the connection counts once the server answered the opening handshake (RFC 6455)
 * with 101 and the right Sec-WebSocket-Accept for its own random key. Once open, a ping gets a
 * pong, a close frame ends the connection (its code counted), a close without one counts 1006.
 * The echo check sends a masked text frame and wants the unmasked frame of the same 16 bytes
 * back; traffic goes in masked text frames.
 */
#ifndef C1M_CLIENT_WS_H
#define C1M_CLIENT_WS_H

#include <strings.h>

#include "client-app.h"
#include "client-messages.h"
#include "http.h"
#include "ws.h"

/* --ws-deflate: offer permessage-deflate (RFC 7692) in the upgrade, as browsers do (with zlib only). */
static int ws_deflate;
#define WS_DEFLATE_OFFER "permessage-deflate; client_max_window_bits"

static void ws_random_key(unsigned char key[4]) {
  uint64_t m = next_random();
  memcpy(key, &m, 4);
}

static void count_close(const unsigned char *payload, uint64_t len) {
  int code = len >= 2 ? payload[0] << 8 | payload[1] : 1005; /* 1005: no status code present */
  close_codes[code < 5000 ? code : 4999]++;
}

static int ws_header_of_server(const unsigned char *f, size_t left, int *hl, uint64_t *len) {
  return ws_frame_header(f, left, 0, ws_deflate, hl, len);
}

/* The first frame of a compressed message (RSV1, text or binary), or the rest of one (continuation). */
static int ws_compressed(int fd, const unsigned char *f) {
  int op = f[0] & 0x0f;
  if ((f[0] & 0x40) && (op == 1 || op == 2)) return 1;
  return op == 0 && exts[fd].zin && exts[fd].zin->in_message;
}

/* Pings, pongs and closes. */
static int ws_control(int fd, const unsigned char *f, int hl, uint64_t len) {
  int op = f[0] & 0x0f;
  if (op == 0x9) {
    unsigned char out[14 + 125], key[4];
    ws_random_key(key);
    size_t n = ws_frame(out, WS_PONG, f + hl, (size_t)len, key, NULL);
    if (sent_whole(fd, out, n)) pings_answered++;
    return 1;
  }
  if (op == 0xA) return 1;
  if (op == 0x8) {
    if (app) app_closed(fd, f + hl, len);
    count_close(f + hl, len);
    peer_closed++;
    refused++;
    if (awaiting_echo(fd)) echo_closed++;
    keep_first_bytes((const char *)f, hl + (ssize_t)len);
    drop(fd, 1);
    return -1;
  }
  return 0;
}

/* The echo of traffic: a text frame of its size. */
static int ws_traffic_echo(const unsigned char *f, int hl, uint64_t len, size_t have) {
  (void)hl; (void)have;
  return (f[0] & 0x0f) == 0x1 && len == (uint64_t)traffic_echo_len;
}

/* Control frames are read whole. */
static int ws_wait_whole(const unsigned char *f, int hl, size_t left) {
  (void)hl; (void)left;
  return f[0] & 0x08;
}

static const struct framing ws_framing = {ws_header_of_server, ws_control, ws_traffic_echo, ws_wait_whole, ws_compressed};

/* The upgrade with a fresh random key, keeping the Sec-WebSocket-Accept it needs. */
static void ws_open(int fd) {
  struct opening *op = begin_opening(fd);
  if (!op) return;
  uint8_t raw[16];
  uint64_t a = next_random(), b = next_random();
  memcpy(raw, &a, 8);
  memcpy(raw + 8, &b, 8);
  char key[25], out[1024 + sizeof extra_headers], sub[128] = "";
  base64(raw, 16, key);
  ws_accept(key, 24, op->accept);
  if (app && app->subprotocol) snprintf(sub, sizeof sub, "Sec-WebSocket-Protocol: %s\r\n", app->subprotocol);
  int n = snprintf(out, sizeof out, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n", ws_path, ws_host, key,
                   ws_deflate ? "Sec-WebSocket-Extensions: " WS_DEFLATE_OFFER "\r\n" : "", sub, extra_headers);
  send_opening(fd, out, n);
}

/* 101 with the accept for our key, and no extension that was not offered (RFC 6455 section 9.1). */
static void ws_on_opening(int fd, struct opening *op) {
  char *end = opening_head_end(fd, op);
  if (!end) return;
  if (strncmp(op->buf, "HTTP/1.1 101", 12) != 0) { refuse_opening(fd, "the status was not 101 Switching Protocols"); return; }
  size_t len = 0;
  const char *accept = http_header(op->buf, "Sec-WebSocket-Accept:", &len);
  if (!accept || len != 28 || memcmp(accept, op->accept, 28) != 0) { refuse_opening(fd, "a missing or wrong Sec-WebSocket-Accept"); return; }
  const char *ext = http_header(op->buf, "Sec-WebSocket-Extensions:", &len);
  if (ext && len > 0) {
    if (!ws_deflate || len < 18 || strncasecmp(ext, "permessage-deflate", 18) != 0) { refuse_opening(fd, "an extension the client did not offer"); return; }
    deflate_accepted++;
    exts[fd].deflate = 1;
    if (!deflate_response[0]) {
      size_t keep = len < sizeof deflate_response - 1 ? len : sizeof deflate_response - 1;
      for (size_t i = 0; i < keep; i++) deflate_response[i] = ext[i] >= 0x20 && ext[i] < 0x7f && ext[i] != '"' && ext[i] != '\\' ? ext[i] : '?';
    }
  }
  if (app && app->subprotocol) {
    const char *chosen = http_header(op->buf, "Sec-WebSocket-Protocol:", &len);
    if (!chosen || len != strlen(app->subprotocol) || strncasecmp(chosen, app->subprotocol, len) != 0) {
      char why[160];
      snprintf(why, sizeof why, "the server did not choose the subprotocol %s", app->subprotocol);
      refuse_opening(fd, why);
      return;
    }
  }
  /* Frames right after the 101 (a greeting, a ping) are the server's first messages. */
  opened_with_rest(fd, op, (int)(end + 4 - op->buf));
}

/* size bytes of 'x' in a masked text frame. */
static size_t ws_traffic_message(unsigned char *out, size_t size) {
  static unsigned char xs[MAX_TRAFFIC];
  unsigned char key[4];
  memset(xs, 'x', size);
  ws_random_key(key);
  return ws_frame(out, WS_TEXT, xs, size, key, NULL);
}

/* A masked text frame of the 16 bytes out, the unmasked frame of the same bytes back. */
static void ws_setup(void) {
  unsigned char key[4];
  ws_random_key(key);
  echo_request_len = (int)ws_frame(echo_request, WS_TEXT, (const unsigned char *)ECHO_MSG, ECHO_LEN, key, NULL);
  echo_reply_len = (int)ws_frame(echo_reply, WS_TEXT, (const unsigned char *)ECHO_MSG, ECHO_LEN, NULL, NULL);
}

static const struct protocol proto_ws = {
  .name = "ws", .opening = "websocket", .setup = ws_setup, .open = ws_open, .on_opening = ws_on_opening,
  .on_bytes = on_messages, .framing = &ws_framing, .traffic_message = ws_traffic_message, .eof_code = 1006,
  .ws_frames = 1,
};

#endif
