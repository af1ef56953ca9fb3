/*
 * --app phoenix: Phoenix channels over WebSocket with the V2 JSON serializer (messages
 * [join_ref, ref, topic, event, payload]). Each connection joins --topic (room:lobby) with
 * ["1","1",TOPIC,"phx_join",{}]; the session counts on the phx_reply to ref "1" with status ok,
 * and status error refuses it, quoted with the reply's response. Every app_heartbeat_every seconds
 * (30 s unless set: Phoenix drops a socket silent for 60 s) [null,REF,"phoenix","heartbeat",{}] goes
 * out, and its ok reply counts as a heartbeat answered. Other events on the topic are pushed;
 * phx_error or phx_close on it (the channel crashed or left) ends the session. --publish pushes
 * ["1",REF,TOPIC,EVENT,{"body":"TEXT"}] on the joined topic, EVENT from --event (new_msg, as
 * Phoenix's chat examples), for a channel that broadcasts it.
 */
#ifndef C1M_APP_PHOENIX_H
#define C1M_APP_PHOENIX_H

#include "client-app.h"
#include "phoenix.h"

static const char *phx_topic = "room:lobby", *phx_event = "new_msg";
/* The heartbeats' refs: one sequence for every connection, so each socket's are unique; never "1". */
static uint32_t phx_next_ref = 1;
enum { PHX_JOINING, PHX_JOINED };

static int phx_option(const char *name, const char *value) {
  /* --heartbeat-every S, for phoenix and stomp: whichever dialect reads it first sets the interval. */
  if (strcmp(name, "--heartbeat-every") == 0) return (app_heartbeat_every = atof(value)) > 0 ? 1 : -1;
  if (strcmp(name, "--event") == 0) { /* for socketio too: each dialect keeps its own */
    phx_event = value;
    return app_plain_name(value) ? 1 : -1;
  }
  if (strcmp(name, "--topic") != 0) return 0;
  phx_topic = value;
  for (const unsigned char *c = (const unsigned char *)value; *c; c++) if (*c < 0x20 || *c == '"' || *c == '\\') return -1;
  return *value && strlen(value) < 256 ? 1 : -1;
}

static int phx_setup(void) {
  if (app_heartbeat_every <= 0) app_heartbeat_every = 30;
  return 0;
}

static int phx_start(int fd) {
  char out[400];
  int n = snprintf(out, sizeof out, "[\"1\",\"1\",\"%s\",\"phx_join\",{}]", phx_topic);
  exts[fd].app_state = PHX_JOINING;
  return app_send(fd, out, (size_t)n) < 0 ? -1 : APP_NONE;
}

/* The reply's status is "ok". */
static int phx_ok(struct phx_span payload) { return phx_is(phx_member(payload, "status"), "ok"); }

static int phx_on_text(int fd, const char *msg, size_t len) {
  struct phx_span m[PHX_PARTS];
  char why[200];
  if (!phx_split(msg, len, m)) {
    snprintf(why, sizeof why, "phoenix: not a V2 message: %.60s", msg);
    return refuse_session(fd, why);
  }
  if (phx_is(m[PHX_TOPIC], "phoenix")) {
    if (phx_is(m[PHX_EVENT], "phx_reply") && phx_ok(m[PHX_PAYLOAD])) heartbeats_answered++;
    return APP_NONE;
  }
  char topic[300];
  snprintf(topic, sizeof topic, "%s", phx_topic);
  if (!phx_is(m[PHX_TOPIC], topic)) return APP_NONE;
  if (phx_is(m[PHX_EVENT], "phx_reply") && phx_is(m[PHX_REF], "1") && exts[fd].app_state == PHX_JOINING) {
    if (phx_ok(m[PHX_PAYLOAD])) {
      exts[fd].app_state = PHX_JOINED;
      return APP_ACCEPTED;
    }
    struct phx_span response = phx_member(m[PHX_PAYLOAD], "response");
    if (!response.at) response = m[PHX_PAYLOAD];
    snprintf(why, sizeof why, "phoenix: join refused: %.*s", (int)(response.len > 150 ? 150 : response.len), response.at);
    return refuse_session(fd, why);
  }
  if (phx_is(m[PHX_EVENT], "phx_error") || phx_is(m[PHX_EVENT], "phx_close")) {
    snprintf(why, sizeof why, "phoenix: %.*s on %s", (int)m[PHX_EVENT].len - 2, m[PHX_EVENT].at + 1, phx_topic);
    return refuse_session(fd, why);
  }
  return phx_is(m[PHX_EVENT], "phx_reply") ? APP_NONE : APP_PUSHED;
}

static int phx_heartbeat(int fd) {
  char out[80];
  if (++phx_next_ref == 1) phx_next_ref = 2;
  int n = snprintf(out, sizeof out, "[null,\"%u\",\"phoenix\",\"heartbeat\",{}]", phx_next_ref);
  return app_send(fd, out, (size_t)n);
}

/* --publish: a push on the joined topic, the text as the payload's body. */
static int phx_publish(char *out, size_t size, const char *payload, int len) {
  char text[APP_MSG_MAX];
  (void)len;
  app_json_escape(payload, text, sizeof text);
  if (++phx_next_ref == 1) phx_next_ref = 2;
  return snprintf(out, size, "[\"1\",\"%u\",\"%s\",\"%s\",{\"body\":\"%s\"}]", phx_next_ref, phx_topic, phx_event, text);
}

static const struct app app_phoenix = {
  .name = "phoenix", .option = phx_option, .setup = phx_setup, .start = phx_start, .on_text = phx_on_text,
  .heartbeat = phx_heartbeat, .publish = phx_publish, .ws_only = 1,
};

#endif
