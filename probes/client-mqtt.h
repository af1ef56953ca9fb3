/*
 * --protocol mqtt (3.1.1): a connection counts once the broker answered its CONNECT (a client id
 * of its own, clean session, --mqtt-keepalive, a PINGREQ at half of it) with CONNACK 0, and with
 * --mqtt-subscribe once SUBACK granted the topic; PUBLISHes are counted as pushed; the echo check
 * is a PINGREQ that wants its PINGRESP. With --mqtt-echo each connection also subscribes to a
 * topic of its own (c1m/echo/PID-N), and --message-size traffic is a QoS 0 PUBLISH there, which
 * the broker sends back: its echo.
 */
#ifndef C1M_CLIENT_MQTT_H
#define C1M_CLIENT_MQTT_H

#include "client-messages.h"
#include "mqtt.h"

/* --mqtt-keepalive in seconds (CONNECT's field; 0: none), --mqtt-subscribe's topic, --mqtt-echo. */
static int mqtt_keepalive, mqtt_echo;
static const char *mqtt_topic;
static unsigned long mqtt_ids;

/* The connection's own echo topic (--mqtt-echo); returns its length. */
static int mqtt_echo_topic(int fd, char *out, size_t size) {
  return snprintf(out, size, "c1m/echo/%d-%u", getpid(), exts[fd].mqtt_id);
}

/* The topics a connection subscribes to at its opening: --mqtt-subscribe's, and its echo topic. */
static int mqtt_topics(void) { return (mqtt_topic ? 1 : 0) + mqtt_echo; }

/* A PINGRESP outside an echo round answers a keepalive. */
static int mqtt_control(int fd, const unsigned char *f, int hl, uint64_t len) {
  (void)hl; (void)len;
  if (f[0] != MQTT_PINGRESP || awaiting_echo(fd)) return 0;
  keepalive_answers++;
  return 1;
}

/* The echo of traffic: a QoS 0 PUBLISH of its size on one of c1m's echo topics. */
static int mqtt_traffic_echo(const unsigned char *f, int hl, uint64_t len, size_t have) {
  if (!mqtt_echo || (f[0] & 0xF6) != MQTT_PUBLISH || have < (size_t)hl + 2) return 0;
  size_t tlen = (size_t)f[hl] << 8 | f[hl + 1];
  if (tlen < 9 || have < (size_t)hl + 2 + tlen || memcmp(f + hl + 2, "c1m/echo/", 9) != 0) return 0;
  return len == 2 + tlen + (uint64_t)traffic_echo_len;
}

/* Wait for the topic of a PUBLISH that may be an echo of traffic (ours are under 40 bytes). */
static int mqtt_wait_whole(const unsigned char *f, int hl, size_t left) {
  (void)f;
  return mqtt_echo && left < (size_t)hl + 2 + 40;
}

static const struct framing mqtt_framing = {mqtt_packet_header, mqtt_control, mqtt_traffic_echo, mqtt_wait_whole, NULL};

static void mqtt_open(int fd) {
  struct opening *op = begin_opening(fd);
  if (!op) return;
  char id[40];
  unsigned char out[128];
  int idlen = snprintf(id, sizeof id, "c1m-%d-%lu", getpid(), ++mqtt_ids);
  exts[fd].mqtt_id = (uint32_t)mqtt_ids;
  send_opening(fd, out, (int)mqtt_connect(out, id, (size_t)idlen, mqtt_keepalive));
}

/* SUBSCRIBE to the opening's topics, QoS 0 each. */
static size_t mqtt_subscribe_packet(int fd, unsigned char *out) {
  char own[48];
  const char *topics[2];
  int count = 0;
  if (mqtt_topic) topics[count++] = mqtt_topic;
  if (mqtt_echo) { mqtt_echo_topic(fd, own, sizeof own); topics[count++] = own; }
  return mqtt_subscribe(out, topics, count);
}

/* CONNACK 0, then with topics a SUBACK granting QoS 0 to each; anything else is a refusal. */
static void mqtt_on_opening(int fd, struct opening *op) {
  const unsigned char *b = (const unsigned char *)op->buf;
  if (!op->subscribing) {
    if (b[0] != MQTT_CONNACK) { refuse_opening(fd, "the broker's first packet was not a CONNACK"); return; }
    if (op->len < 4) return;
    if (b[1] != 0x02) { refuse_opening(fd, "a malformed CONNACK"); return; }
    if (b[3] != 0) {
      static const char *why[] = {"", "unacceptable protocol version", "identifier rejected", "server unavailable", "bad user name or password", "not authorized"};
      char text[64];
      snprintf(text, sizeof text, "CONNACK return code %d (%s)", b[3], b[3] <= 5 ? why[b[3]] : "unknown");
      refuse_opening(fd, text);
      return;
    }
    if (!mqtt_topics()) { opened_with_rest(fd, op, 4); return; }
    unsigned char out[700];
    size_t n = mqtt_subscribe_packet(fd, out);
    if (!sent_whole(fd, out, n)) { drop_failed(fd, "write", errno); return; }
    op->subscribing = 1;
    op->len -= 4;
    memmove(op->buf, op->buf + 4, (size_t)op->len + 1);
    if (op->len == 0) return;
  }
  int topics = mqtt_topics();
  if (b[0] != MQTT_SUBACK) { refuse_opening(fd, "the broker's answer to SUBSCRIBE was not a SUBACK"); return; }
  if (op->len < 4 + topics) return;
  if (b[1] != 2 + topics || b[2] != 0x00 || b[3] != 0x01) { refuse_opening(fd, "a malformed SUBACK"); return; }
  for (int t = 0; t < topics; t++) {
    if (b[4 + t] == 0x80) { refuse_opening(fd, "the broker refused the subscription (SUBACK 0x80)"); return; }
  }
  opened_with_rest(fd, op, 4 + topics);
}

/* The payload of traffic, once, after PUBLISH_ROOM: each connection's PUBLISH head goes before it. */
static size_t mqtt_traffic_message(unsigned char *out, size_t size) {
  memset(out + PUBLISH_ROOM, 'x', size);
  return 0;
}

/* A QoS 0 PUBLISH of size bytes of 'x' to the connection's echo topic: where it starts, its length. */
static const char *mqtt_traffic_packet(int fd, size_t size, size_t *len) {
  char topic[48];
  unsigned char head[PUBLISH_ROOM];
  int tlen = mqtt_echo_topic(fd, topic, sizeof topic);
  size_t h = mqtt_publish_head(head, topic, (size_t)tlen, size);
  char *start = traffic_buf + PUBLISH_ROOM - h;
  memcpy(start, head, h);
  *len = h + size;
  return start;
}

/* A PINGREQ; one cut short breaks the connection's stream, as a cut message of traffic does. */
static int mqtt_keepalive_ping(int fd) {
  static const unsigned char ping[2] = {MQTT_PINGREQ, 0x00};
  if (conn_write(fd, ping, 2) != 1) return 0; /* a failed write is seen by the next read */
  drop_failed(fd, "keepalive write", EAGAIN);
  return -1;
}

/* PINGREQ out, PINGRESP back: MQTT's own round trip; a PINGREQ each half of the keepalive. */
static void mqtt_setup(void) {
  echo_request[0] = MQTT_PINGREQ; echo_request[1] = 0x00; echo_request_len = 2;
  echo_reply[0] = MQTT_PINGRESP; echo_reply[1] = 0x00; echo_reply_len = 2;
  keepalive_every = mqtt_keepalive / 2.0;
}

static const struct protocol proto_mqtt = {
  .name = "mqtt", .opening = "mqtt", .setup = mqtt_setup, .open = mqtt_open, .on_opening = mqtt_on_opening,
  .on_bytes = on_messages, .framing = &mqtt_framing, .traffic_message = mqtt_traffic_message, .traffic_packet = mqtt_traffic_packet,
  .keepalive = mqtt_keepalive_ping,
};

#endif
