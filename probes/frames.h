/*
 * Where one message ends in a stream: the header of a WebSocket frame (RFC 6455 section 5.2)
 * as a server sends it (unmasked), and the fixed header of an MQTT control packet (3.1.1 section
 * 2.2). Each returns 1 with the header's length and the payload's, 0 when more bytes are needed,
 * -1 when the bytes cannot be a header (a masked server frame, reserved bits, a control frame
 * over 125 bytes, a remaining length over 4 bytes).
 */
#ifndef C1M_FRAMES_H
#define C1M_FRAMES_H

#include <stddef.h>
#include <stdint.h>

/* deflate: permessage-deflate was offered, so RSV1 may mark a compressed message. */
static int ws_frame_header(const unsigned char *f, size_t left, int deflate, int *hl, uint64_t *len) {
  if (left < 2) return 0;
  if ((f[0] & (deflate ? 0x30 : 0x70)) || (f[1] & 0x80)) return -1;
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
  if ((f[0] & 0x08) && n > 125) return -1;
  *hl = h;
  *len = n;
  return 1;
}

static int mqtt_packet_header(const unsigned char *f, size_t left, int *hl, uint64_t *len) {
  uint64_t n = 0;
  for (int i = 1; i <= 4; i++) {
    if ((size_t)i >= left) return 0;
    n |= (uint64_t)(f[i] & 0x7f) << (7 * (i - 1));
    if (!(f[i] & 0x80)) {
      *hl = i + 1;
      *len = n;
      return 1;
    }
  }
  return -1;
}

#endif
