/* Standard base64 (RFC 4648 section 4) with padding, for the WebSocket key and accept. */
#ifndef C1M_BASE64_H
#define C1M_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* out needs 4 * ceil(len / 3) + 1 bytes; it ends with a NUL. */
static inline void base64(const uint8_t *in, size_t len, char *out) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
    out[o++] = abc[(v >> 18) & 63];
    out[o++] = abc[(v >> 12) & 63];
    out[o++] = i + 1 < len ? abc[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? abc[v & 63] : '=';
  }
  out[o] = 0;
}

#endif
