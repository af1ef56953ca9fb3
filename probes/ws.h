/*
 * WebSocket (RFC 6455) pieces shared by echo-server.c and echo-client.c: SHA-1 and base64 for
 * the Sec-WebSocket-Accept of the opening handshake, and a case-insensitive header lookup.
 * SHA-1 is written out (FIPS 180-4) so that the native engine needs no crypto library.
 */
#ifndef C1M_WS_H
#define C1M_WS_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static uint32_t ws_rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void ws_sha1_block(uint32_t h[5], const uint8_t *p) {
  uint32_t w[80];
  for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 80; i++) w[i] = ws_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
    else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
    else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
    else { f = b ^ c ^ d; k = 0xCA62C1D6; }
    uint32_t t = ws_rol(a, 5) + f + e + k + w[i];
    e = d; d = c; c = ws_rol(b, 30); b = a; a = t;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

/* SHA-1 of len bytes (len < 2^29) into out[20]. */
static void ws_sha1(const uint8_t *data, size_t len, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  size_t i = 0;
  for (; i + 64 <= len; i += 64) ws_sha1_block(h, data + i);
  uint8_t tail[128] = {0};
  size_t rest = len - i;
  memcpy(tail, data + i, rest);
  tail[rest] = 0x80;
  size_t blocks = rest + 9 > 64 ? 2 : 1;
  uint64_t bits = (uint64_t)len * 8;
  for (int b = 0; b < 8; b++) tail[blocks * 64 - 1 - b] = (uint8_t)(bits >> (8 * b));
  for (size_t b = 0; b < blocks; b++) ws_sha1_block(h, tail + 64 * b);
  for (int j = 0; j < 5; j++) {
    out[4 * j] = (uint8_t)(h[j] >> 24); out[4 * j + 1] = (uint8_t)(h[j] >> 16);
    out[4 * j + 2] = (uint8_t)(h[j] >> 8); out[4 * j + 3] = (uint8_t)h[j];
  }
}

/* Standard base64 with padding; out needs 4 * ceil(len / 3) + 1 bytes. */
static void ws_base64(const uint8_t *in, size_t len, char *out) {
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

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (at most 64 characters): 28 characters and a NUL. */
static void ws_accept(const char *key, size_t key_len, char out[29]) {
  uint8_t buf[64 + sizeof WS_GUID], digest[20];
  if (key_len > 64) key_len = 64;
  memcpy(buf, key, key_len);
  memcpy(buf + key_len, WS_GUID, sizeof WS_GUID - 1);
  ws_sha1(buf, key_len + sizeof WS_GUID - 1, digest);
  ws_base64(digest, 20, out);
}

/*
 * The value of header `name` (with its colon, any case) in an HTTP head that ends with
 * \r\n\r\n: a pointer to its first non-space byte and its length, or NULL.
 */
static const char *ws_header(const char *head, const char *name, size_t *len) {
  size_t n = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
    const char *at = line + 2;
    if (strncasecmp(at, name, n) != 0) continue;
    at += n;
    while (*at == ' ' || *at == '\t') at++;
    const char *end = strstr(at, "\r\n");
    while (end > at && (end[-1] == ' ' || end[-1] == '\t')) end--;
    *len = (size_t)(end - at);
    return at;
  }
  return NULL;
}

#endif
