/*
 * MQTT 3.1.1 packets as the client sends and reads them: the remaining length (section 2.2.3),
 * the fixed header of a packet in a stream, CONNECT, SUBSCRIBE and the head of a QoS 0 PUBLISH.
 */
#ifndef C1M_MQTT_H
#define C1M_MQTT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { MQTT_CONNECT = 0x10, MQTT_CONNACK = 0x20, MQTT_PUBLISH = 0x30, MQTT_SUBSCRIBE = 0x82, MQTT_SUBACK = 0x90,
       MQTT_PINGREQ = 0xC0, MQTT_PINGRESP = 0xD0 };

/* The remaining length rl into out (1 to 4 bytes); returns how many. */
static inline size_t mqtt_remaining_length(unsigned char *out, size_t rl) {
  size_t n = 0;
  do { out[n++] = (unsigned char)((rl & 0x7f) | (rl > 0x7f ? 0x80 : 0)); rl >>= 7; } while (rl);
  return n;
}

/*
 * The fixed header of the packet at f (left bytes at hand): 1 with the header's length in *hl and
 * the remaining length in *len, 0 when more bytes are needed, -1 for a remaining length over 4 bytes.
 */
static inline int mqtt_packet_header(const unsigned char *f, size_t left, int *hl, uint64_t *len) {
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

/* A string (two bytes of length, then its bytes) at out; returns the bytes written. */
static inline size_t mqtt_string(unsigned char *out, const char *text, size_t len) {
  out[0] = (unsigned char)(len >> 8);
  out[1] = (unsigned char)len;
  memcpy(out + 2, text, len);
  return 2 + len;
}

/* CONNECT: clean session, the keepalive in seconds, the client id (under 100 bytes). */
static inline size_t mqtt_connect(unsigned char *out, const char *id, size_t idlen, int keepalive) {
  const unsigned char var[] = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, (unsigned char)(keepalive >> 8), (unsigned char)keepalive};
  size_t n = 0;
  out[n++] = MQTT_CONNECT;
  n += mqtt_remaining_length(out + n, sizeof var + 2 + idlen);
  memcpy(out + n, var, sizeof var);
  n += sizeof var;
  return n + mqtt_string(out + n, id, idlen);
}

/* SUBSCRIBE to each of count topics at QoS 0, packet id 1. */
static inline size_t mqtt_subscribe(unsigned char *out, const char *const *topics, int count) {
  size_t rl = 2, n = 0;
  for (int t = 0; t < count; t++) rl += 2 + strlen(topics[t]) + 1;
  out[n++] = MQTT_SUBSCRIBE;
  n += mqtt_remaining_length(out + n, rl);
  out[n++] = 0x00; out[n++] = 0x01;
  for (int t = 0; t < count; t++) {
    n += mqtt_string(out + n, topics[t], strlen(topics[t]));
    out[n++] = 0x00;
  }
  return n;
}

/* The head of a QoS 0 PUBLISH of size bytes to topic (its payload follows it); returns its length. */
static inline size_t mqtt_publish_head(unsigned char *out, const char *topic, size_t tlen, size_t size) {
  size_t n = 0;
  out[n++] = MQTT_PUBLISH;
  n += mqtt_remaining_length(out + n, 2 + tlen + size);
  return n + mqtt_string(out + n, topic, tlen);
}

#endif
