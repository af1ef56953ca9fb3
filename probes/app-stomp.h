/*
 * --app stomp: STOMP 1.2 over WebSocket (subprotocol v12.stomp; RabbitMQ web-stomp, Spring,
 * ActiveMQ), each frame one text message. The client sends CONNECT (host:/ , the default virtual
 * host; --login USER:PASS as login and passcode; heart-beat offered at app_heartbeat_every, 10 s
 * when unset); the session counts on CONNECTED, whose heart-beat sets the interval the client then
 * sends its EOL heart-beats at (0: none). --destination subscribes once connected, and MESSAGE
 * frames are pushed; a message of EOLs alone is the server's heart-beat, counted as answered once
 * the session is connected. ERROR refuses, quoted with its message header and body.
 */
#ifndef C1M_APP_STOMP_H
#define C1M_APP_STOMP_H

#include "client-app.h"
#include "stomp.h"

static const char *stomp_destination, *stomp_login;
/* The heart-beat offered (cx = cy, in ms), and whether the send interval was taken from a CONNECTED. */
static unsigned long stomp_offer_ms;
static int stomp_negotiated;
enum { STOMP_CONNECTING, STOMP_CONNECTED };

static int stomp_option(const char *name, const char *value) {
  /* --heartbeat-every S, for phoenix and stomp: whichever dialect reads it first sets the interval. */
  if (strcmp(name, "--heartbeat-every") == 0) return (app_heartbeat_every = atof(value)) > 0 ? 1 : -1;
  if (strcmp(name, "--destination") == 0) {
    stomp_destination = value;
    return *value && !strpbrk(value, "\r\n") && strlen(value) < 512 ? 1 : -1;
  }
  if (strcmp(name, "--login") == 0) {
    stomp_login = value;
    const char *colon = strchr(value, ':');
    return colon && colon > value && !strpbrk(value, "\r\n") && strlen(value) < 512 ? 1 : -1;
  }
  return 0;
}

static int stomp_setup(void) {
  stomp_offer_ms = app_heartbeat_every > 0 ? (unsigned long)(app_heartbeat_every * 1000 + 0.5) : 10000;
  app_heartbeat_every = 0; /* none until a CONNECTED says */
  return 0;
}

static int stomp_start(int fd) {
  char out[1200];
  const char *colon = stomp_login ? strchr(stomp_login, ':') : NULL;
  int n = snprintf(out, sizeof out, "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:%lu,%lu\n", stomp_offer_ms, stomp_offer_ms);
  if (colon) n += snprintf(out + n, sizeof out - (size_t)n, "login:%.*s\npasscode:%s\n", (int)(colon - stomp_login), stomp_login, colon + 1);
  n += snprintf(out + n, sizeof out - (size_t)n, "\n");
  exts[fd].app_state = STOMP_CONNECTING;
  return app_send(fd, out, (size_t)n + 1) < 0 ? -1 : APP_NONE; /* with the NUL */
}

/* ERROR: "stomp: ERROR message:M (BODY)", the body's first line only. */
static int stomp_refuse(int fd, const struct stomp_frame *f) {
  char message[120] = "", why[200];
  stomp_header(f, "message", message, sizeof message);
  size_t body = strcspn(f->body, "\r\n");
  if (body > f->body_len) body = f->body_len;
  snprintf(why, sizeof why, "stomp: ERROR message:%s%s%.*s%s", message, body ? " (" : "", (int)(body > 100 ? 100 : body), f->body, body ? ")" : "");
  return refuse_session(fd, why);
}

static int stomp_connected(int fd, const struct stomp_frame *f) {
  char beat[48] = "0,0";
  stomp_header(f, "heart-beat", beat, sizeof beat);
  if (!stomp_negotiated) {
    stomp_negotiated = 1;
    app_heartbeat_every = (double)stomp_send_every(stomp_offer_ms, beat) / 1000;
  }
  exts[fd].app_state = STOMP_CONNECTED;
  if (stomp_destination) {
    char dest[1100], out[1200];
    stomp_escape(stomp_destination, dest, sizeof dest);
    int n = snprintf(out, sizeof out, "SUBSCRIBE\nid:0\ndestination:%s\nack:auto\n\n", dest);
    if (app_send(fd, out, (size_t)n + 1) < 0) return -1;
  }
  return APP_ACCEPTED;
}

/* One WebSocket message: its frames (usually one, or a heart-beat alone). */
static int stomp_on_text(int fd, const char *msg, size_t len) {
  struct stomp_frame f;
  size_t used;
  int rc = APP_NONE, pushed = 0;
  if (exts[fd].app_state == STOMP_CONNECTED && stomp_parse(msg, len, &f, &used) == 0) {
    heartbeats_answered++; /* EOLs alone: the server's heart-beat */
    return APP_NONE;
  }
  while (len > 0) {
    int got = stomp_parse(msg, len, &f, &used);
    if (got == 0) break;
    if (got < 0) {
      char why[200];
      snprintf(why, sizeof why, "stomp: not a STOMP frame: %.60s", msg);
      return refuse_session(fd, why);
    }
    if (stomp_is(&f, "ERROR")) return stomp_refuse(fd, &f);
    if (stomp_is(&f, "CONNECTED") && exts[fd].app_state == STOMP_CONNECTING) {
      if ((rc = stomp_connected(fd, &f)) < 0) return -1;
    } else if (stomp_is(&f, "MESSAGE") && pushed++) {
      pushed_events++; /* a second MESSAGE in one WebSocket message */
    }
    msg += used;
    len -= used;
  }
  return rc == APP_NONE && pushed ? APP_PUSHED : rc;
}

/* An EOL heart-beat: one text message "\n". */
static int stomp_heartbeat(int fd) { return app_send(fd, "\n", 1); }

/* --publish: a SEND to --destination, which every session subscribed to; the frame ends with its NUL. */
static int stomp_publish(char *out, size_t size, const char *payload, int len) {
  char dest[1100];
  stomp_escape(stomp_destination, dest, sizeof dest);
  return snprintf(out, size, "SEND\ndestination:%s\ncontent-length:%d\n\n%.*s", dest, len, len, payload) + 1;
}

static const char *stomp_publish_refusal(void) {
  return stomp_destination && !strpbrk(stomp_destination, "*#") ? NULL : "--app stomp needs --destination with a plain destination (no * or #) to publish to";
}

static const struct app app_stomp = {
  .name = "stomp", .option = stomp_option, .setup = stomp_setup, .start = stomp_start, .on_text = stomp_on_text,
  .heartbeat = stomp_heartbeat, .publish = stomp_publish, .publish_refusal = stomp_publish_refusal,
  .subprotocol = "v12.stomp", .ws_only = 1,
};

#endif
