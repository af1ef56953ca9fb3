/*
 * --publish through a user's server: the command "publish MS TEXT" makes the first open connection
 * a publisher that sends "c1m-fanout SEQ SENT_US TEXT" (fanout.h) every MS milliseconds from now
 * ("publish 0" stops), in the protocol's own message: an MQTT QoS 0 PUBLISH to the --mqtt-subscribe
 * topic that every connection subscribed to, the --app dialect's own (its row's publish: a NATS
 * PUB to --subject, a STOMP SEND to --destination, a Socket.IO event, a Phoenix push), or a masked
 * WebSocket text frame for a server that relays it (plain ws). Every connection that receives it,
 * the publisher among them when the server sends it back, times it (client-fanout.h). It answers
 *   {"event":"publish","published":N,"failed":F}   (since the last start)
 */
#ifndef C1M_CLIENT_PUBLISH_H
#define C1M_CLIENT_PUBLISH_H

#include "client-app.h"
#include "client-fanout.h"
#include "client-mqtt.h"
#include "client-ws.h"
#include "mqtt.h"

#define PUBLISH_TEXT_MAX 1024

static long publish_every_ms, publish_seq, publish_sent, publish_failed;
static double publish_next;
static char publish_text[PUBLISH_TEXT_MAX + 1];

/* Why this client cannot publish, or NULL. */
static const char *publish_refusal(void) {
  if (proto == &proto_mqtt) return mqtt_topic && !strpbrk(mqtt_topic, "+#") ? NULL : "MQTT needs --mqtt-subscribe with a topic name (no + or #) to publish to";
  if (app && !app->publish) return "this --app dialect has no message to publish: nats, stomp, socketio and phoenix have";
  if (app) return app->publish_refusal ? app->publish_refusal() : NULL;
  return proto->ws_frames ? NULL : "publishing needs a protocol with messages: ws, mqtt, or --app nats";
}

/* One message from the first open connection. */
static void publish_now(void) {
  static unsigned char out[PUBLISH_TEXT_MAX + FANOUT_HEAD_MAX + 1024];
  long fd = 0;
  while (fd < fd_slots && conns[fd].state != OPEN) fd++;
  if (fd == fd_slots) { publish_failed++; return; }
  char payload[PUBLISH_TEXT_MAX + FANOUT_HEAD_MAX];
  int pn = fanout_head(payload, ++publish_seq, fanout_clock_us());
  pn += snprintf(payload + pn, sizeof payload - (size_t)pn, "%s", publish_text);
  size_t n;
  if (proto == &proto_mqtt) {
    n = mqtt_publish_head(out, mqtt_topic, strlen(mqtt_topic), (size_t)pn);
    memcpy(out + n, payload, (size_t)pn);
    n += (size_t)pn;
  } else if (app) { /* the dialect's own message; one longer than a dialect sends is not sent */
    static char msg[APP_MSG_MAX + 1];
    int mn = app->publish(msg, sizeof msg, payload, pn);
    if (mn <= 0 || mn > APP_MSG_MAX || app_send((int)fd, msg, (size_t)mn) < 0) publish_failed++;
    else publish_sent++;
    return;
  } else {
    unsigned char key[4];
    ws_random_key(key);
    n = ws_frame(out, WS_TEXT, (const unsigned char *)payload, (size_t)pn, key, NULL);
  }
  if (sent_whole((int)fd, out, n)) publish_sent++;
  else { publish_failed++; drop_failed((int)fd, "publish write", errno); }
}

/* Publish when due; the poll timeout (ms) until the next, or `other` when sooner. */
static int publish_timer(int other) {
  if (!publish_every_ms) return other;
  double at = now();
  if (at >= publish_next) {
    publish_now();
    publish_next += publish_every_ms / 1000.0;
    if (publish_next < now()) publish_next = now() + publish_every_ms / 1000.0;
  }
  int wait = (int)((publish_next - now()) * 1000) + 1;
  if (wait < 0) wait = 0;
  return other >= 0 && other < wait ? other : wait;
}

/* "publish MS TEXT": start (the first message at once) or, with MS 0, stop. */
static void publish_command(const char *args) {
  long every;
  int used = 0;
  const char *why = NULL;
  if (sscanf(args, "%ld%n", &every, &used) != 1 || (every != 0 && (every < 10 || every > 86400000L))) why = "publish wants MS (0, or 10 to 86400000) and TEXT";
  else if (every && (why = publish_refusal())) {}
  const char *text = args + used + (args[used] == ' ');
  size_t len = strlen(text);
  if (!why && len > PUBLISH_TEXT_MAX) why = "publish: TEXT is longer than 1024 bytes";
  if (why) { printf("{\"event\":\"error\",\"message\":\"%s\"}\n", why); fflush(stdout); return; }
  if (every) {
    memcpy(publish_text, text, len + 1);
    publish_sent = publish_failed = 0;
    publish_next = now();
  }
  publish_every_ms = every;
  printf("{\"event\":\"publish\",\"published\":%ld,\"failed\":%ld}\n", publish_sent, publish_failed);
  fflush(stdout);
}

#endif
