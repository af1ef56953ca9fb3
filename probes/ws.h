/*
 * WebSocket (RFC 6455) for both programs: the Sec-WebSocket-Accept of the opening handshake, one
 * parser of frame headers (a server reading a client's masked frames, a client reading a server's
 * unmasked ones) and one builder of frames.
 */
#ifndef C1M_WS_H
#define C1M_WS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "sha1.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* The first byte of a frame: FIN and an opcode (section 5.2). */
enum { WS_TEXT = 0x81, WS_CLOSE = 0x88, WS_PING = 0x89, WS_PONG = 0x8A };

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (at most 64 characters): 28 characters and a NUL. */
static inline void ws_accept(const char *key, size_t key_len, char out[29]) {
  uint8_t buf[64 + sizeof WS_GUID], digest[20];
  if (key_len > 64) key_len = 64;
  memcpy(buf, key, key_len);
  memcpy(buf + key_len, WS_GUID, sizeof WS_GUID - 1);
  sha1(buf, key_len + sizeof WS_GUID - 1, digest);
  base64(digest, 20, out);
}

/*
 * The header of the frame at f (left bytes at hand): 1 with the header's length (with the masking
 * key) in *hl and the payload's in *len, 0 when more bytes are needed, -1 when the bytes cannot be
 * a header. from_client: every frame must be masked (the server echoes what comes as it came);
 * otherwise no frame may be masked, no reserved bit may be set (but RSV1 when permessage-deflate
 * was offered: deflate) and a control frame carries at most 125 bytes.
 */
static inline int ws_frame_header(const unsigned char *f, size_t left, int from_client, int deflate, int *hl, uint64_t *len) {
  if (left < 2) return 0;
  if (from_client ? !(f[1] & 0x80) : (f[0] & (deflate ? 0x30 : 0x70)) || (f[1] & 0x80)) return -1;
  uint64_t n = f[1] & 0x7f;
  int h = 2;
  if (n == 126) {
    if (left < 4) return 0;
    n = (uint64_t)f[2] << 8 | f[3];
    h = 4;
  } else if (n == 127) {
    if (left < 10) return 0;
    n = 0;
    for (int i = 2; i < 10; i++) n = n << 8 | f[i];
    h = 10;
  }
  if (!from_client && (f[0] & 0x08) && n > 125) return -1;
  *hl = h + (from_client ? 4 : 0);
  *len = n;
  return 1;
}

/* len bytes of in into out, each XORed with the masking key (section 5.3); in may be out. */
static inline void ws_mask(unsigned char *out, const unsigned char *in, size_t len, const unsigned char key[4]) {
  for (size_t i = 0; i < len; i++) out[i] = (unsigned char)(in[i] ^ key[i % 4]);
}

/*
 * A frame into out: its header (byte0, the length, and the masking key when key is not NULL),
 * then len bytes of payload, masked with key, or unmasked with unmask (a client's key), or as they
 * are. Returns the frame's length; out needs len + 14 bytes apart from payload.
 */
static inline size_t ws_frame(unsigned char *out, unsigned char byte0, const unsigned char *payload, size_t len,
                       const unsigned char *key, const unsigned char *unmask) {
  size_t o = 0;
  unsigned char bit = key ? 0x80 : 0;
  out[o++] = byte0;
  if (len < 126) out[o++] = (unsigned char)(bit | len);
  else if (len < 65536) { out[o++] = bit | 126; out[o++] = (unsigned char)(len >> 8); out[o++] = (unsigned char)len; }
  else { out[o++] = bit | 127; for (int i = 7; i >= 0; i--) out[o++] = (unsigned char)((uint64_t)len >> (8 * i)); }
  if (key) { memcpy(out + o, key, 4); o += 4; }
  const unsigned char *with = key ? out + o - 4 : unmask;
  if (with) ws_mask(out + o, payload, len, with);
  else memmove(out + o, payload, len);
  return o + len;
}

#endif
