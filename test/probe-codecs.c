/*
 * Known answers for the native engines' codecs (probes/sha1.h, base64.h, ws.h, http.h, mqtt.h),
 * each parser fed its input split at every offset. Built and run by test/probe-codecs.test.ts:
 * prints "ok NAME" per check, "not ok NAME: WHY" for a failure, and exits 1 when any failed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "http.h"
#include "mqtt.h"
#include "sha1.h"
#include "ws.h"

static int failures;

static void check(int ok, const char *name, const char *why) {
  if (ok) printf("ok %s\n", name);
  else { printf("not ok %s: %s\n", name, why); failures++; }
}

static void sha1_hex(const char *text, char out[41]) {
  uint8_t digest[20];
  sha1((const uint8_t *)text, strlen(text), digest);
  for (int i = 0; i < 20; i++) sprintf(out + 2 * i, "%02x", digest[i]);
}

static void test_sha1_base64(void) {
  static const char *const sha[][2] = {
    {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
  };
  for (size_t i = 0; i < sizeof sha / sizeof *sha; i++) {
    char hex[41];
    sha1_hex(sha[i][0], hex);
    check(strcmp(hex, sha[i][1]) == 0, "sha1 FIPS 180 vector", hex);
  }
  static const char *const b64[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (size_t i = 0; i < sizeof b64 / sizeof *b64; i++) {
    char out[16];
    base64((const uint8_t *)b64[i][0], strlen(b64[i][0]), out);
    check(strcmp(out, b64[i][1]) == 0, "base64 RFC 4648 vector", out);
  }
  char accept[29];
  ws_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, accept);
  check(strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0, "websocket accept of RFC 6455 section 1.3", accept);
}

struct collected { char data[256]; size_t len; int chunks; };
static void on_data(void *ctx, const char *buf, ssize_t n) {
  struct collected *c = ctx;
  memcpy(c->data + c->len, buf, (size_t)n);
  c->len += (size_t)n;
}
static void on_chunk(void *ctx) { ((struct collected *)ctx)->chunks++; }

/* A chunked body with extensions, a trailer and bytes after it, in two reads split at every offset. */
static void test_chunked(void) {
  static const char body[] = "4;name=value\r\nWiki\r\n5\r\npedia\r\nE;x\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nAFTER";
  static const char want[] = "Wikipedia in\r\n\r\nchunks.";
  ssize_t total = (ssize_t)sizeof body - 1, after = 5;
  int all = 1;
  char why[128] = "";
  for (ssize_t split = 0; split <= total; split++) {
    struct collected c = {.len = 0};
    uint8_t state = CHUNK_SIZE;
    uint32_t left = 0;
    ssize_t used = http_unchunk(&state, &left, body, split, on_data, on_chunk, &c);
    if (state != CHUNK_END) used += http_unchunk(&state, &left, body + split, total - split, on_data, on_chunk, &c);
    if (state != CHUNK_END || used != total - after || c.len != sizeof want - 1 || memcmp(c.data, want, c.len) || c.chunks != 3) {
      snprintf(why, sizeof why, "split at %zd: state %d, used %zd, %zu bytes, %d chunks", split, state, used, c.len, c.chunks);
      all = 0;
    }
  }
  check(all, "chunked body with extensions and a trailer, split at every offset", why);
}

/* Frames of 16- and 64-bit lengths, built and parsed back from every prefix of their header. */
static void test_ws_frames(void) {
  static const size_t sizes[] = {0, 125, 126, 65535, 65536, 70000};
  static unsigned char payload[70000], frame[70000 + 14], back[70000];
  for (size_t i = 0; i < sizeof payload; i++) payload[i] = (unsigned char)(i * 7);
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    for (int masked = 0; masked <= 1; masked++) {
      size_t n = ws_frame(frame, WS_TEXT, payload, sizes[s], masked ? key : NULL, NULL);
      int want_hl = (sizes[s] < 126 ? 2 : sizes[s] < 65536 ? 4 : 10) + (masked ? 4 : 0);
      int all = n == (size_t)want_hl + sizes[s];
      char why[128] = "";
      for (int have = 0; have <= want_hl && all; have++) {
        int hl = 0;
        uint64_t len = 0;
        int rc = ws_frame_header(frame, (size_t)have, masked, 0, &hl, &len);
        int expect = have >= want_hl - (masked ? 4 : 0) ? 1 : 0;
        if (rc != expect || (rc == 1 && (hl != want_hl || len != sizes[s]))) {
          snprintf(why, sizeof why, "%zu bytes, %d at hand: rc %d, hl %d, len %llu", sizes[s], have, rc, hl, (unsigned long long)len);
          all = 0;
        }
      }
      if (masked && all) {
        ws_mask(back, frame + want_hl, sizes[s], frame + want_hl - 4);
        all = memcmp(back, payload, sizes[s]) == 0;
        if (!all) snprintf(why, sizeof why, "%zu bytes: unmasked payload differs", sizes[s]);
      }
      check(all, masked ? "websocket masked frame (client to server)" : "websocket unmasked frame (server to client)", why);
    }
  }
  int hl;
  uint64_t len;
  const unsigned char long_ping[] = {WS_PING, 126, 0, 200}, rsv[] = {0xC1, 0}, masked_by_server[] = {WS_TEXT, 0x80}, bare_client[] = {WS_TEXT, 0};
  check(ws_frame_header(long_ping, 4, 0, 0, &hl, &len) == -1, "websocket control frame over 125 bytes refused", "");
  check(ws_frame_header(rsv, 2, 0, 0, &hl, &len) == -1 && ws_frame_header(rsv, 2, 0, 1, &hl, &len) == 1, "websocket RSV1 only with permessage-deflate", "");
  check(ws_frame_header(masked_by_server, 2, 0, 0, &hl, &len) == -1, "websocket masked frame from a server refused", "");
  check(ws_frame_header(bare_client, 2, 1, 0, &hl, &len) == -1, "websocket unmasked frame from a client refused", "");
}

/* Remaining lengths of one to four bytes, encoded and parsed back from every prefix. */
static void test_mqtt(void) {
  static const size_t lengths[] = {0, 127, 128, 16383, 16384, 2097151, 2097152, 268435455};
  for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
    unsigned char packet[8] = {MQTT_PUBLISH};
    size_t bytes = mqtt_remaining_length(packet + 1, lengths[i]);
    size_t want = lengths[i] < 128 ? 1 : lengths[i] < 16384 ? 2 : lengths[i] < 2097152 ? 3 : 4;
    int all = bytes == want;
    char why[128] = "";
    for (size_t have = 0; have <= bytes + 1 && all; have++) {
      int hl = 0;
      uint64_t len = 0;
      int rc = mqtt_packet_header(packet, have, &hl, &len);
      int expect = have >= bytes + 1 ? 1 : 0;
      if (rc != expect || (rc == 1 && ((size_t)hl != bytes + 1 || len != lengths[i]))) {
        snprintf(why, sizeof why, "%zu: %zu bytes at hand: rc %d, hl %d, len %llu", lengths[i], have, rc, hl, (unsigned long long)len);
        all = 0;
      }
    }
    check(all, "mqtt remaining length", why);
  }
  const unsigned char five[] = {MQTT_PUBLISH, 0xff, 0xff, 0xff, 0xff, 0x01};
  int hl;
  uint64_t len;
  check(mqtt_packet_header(five, sizeof five, &hl, &len) == -1, "mqtt remaining length over 4 bytes refused", "");
  unsigned char out[64];
  size_t n = mqtt_connect(out, "c1m-1-1", 7, 60);
  const unsigned char want[] = {0x10, 19, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 7, 'c', '1', 'm', '-', '1', '-', '1'};
  check(n == sizeof want && memcmp(out, want, n) == 0, "mqtt CONNECT", "");
}

int main(void) {
  test_sha1_base64();
  test_chunked();
  test_ws_frames();
  test_mqtt();
  return failures ? 1 : 0;
}
