/*
 * --app nats: the NATS client protocol over raw TCP, TLS or WebSocket (binary frames of whole
 * lines). The server talks first (INFO); the client sends CONNECT (with --auth's JSON fields:
 * user, pass, auth_token), SUB --subject when given, and PING; the session counts on the PONG.
 * The server's PING is answered PONG; MSG (and HMSG) are pushed, their payload skipped; -ERR
 * refuses, quoted.
 */
#ifndef C1M_APP_NATS_H
#define C1M_APP_NATS_H

#include "client-app.h"

static const char *nats_subject, *nats_auth;
enum { NATS_INFO, NATS_CONNECTING };

static int nats_option(const char *name, const char *value) {
  if (strcmp(name, "--subject") == 0) {
    nats_subject = value;
    return *value && !strpbrk(value, " \t\r\n") && strlen(value) < 256 ? 1 : -1;
  }
  if (strcmp(name, "--auth") == 0) {
    size_t n = strlen(value);
    nats_auth = value;
    return n >= 2 && value[0] == '{' && value[n - 1] == '}' && n < 1000 && !strpbrk(value, "\r\n") ? 1 : -1;
  }
  return 0;
}

static int nats_start(int fd) { (void)fd; return APP_NONE; }

static int nats_on_text(int fd, const char *msg, size_t len) {
  (void)len;
  if (strncmp(msg, "INFO ", 5) == 0) {
    if (conns[fd].state != SESSION || exts[fd].app_state != NATS_INFO) return APP_NONE;
    exts[fd].app_state = NATS_CONNECTING;
    char out[1600];
    int auth = nats_auth && strlen(nats_auth) > 2;
    int n = snprintf(out, sizeof out, "CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"c1m\",\"version\":\"1\",\"protocol\":1,\"echo\":false%s%.*s}\r\n",
                     auth ? "," : "", auth ? (int)strlen(nats_auth) - 2 : 0, auth ? nats_auth + 1 : "");
    if (nats_subject) n += snprintf(out + n, sizeof out - (size_t)n, "SUB %s 1\r\n", nats_subject);
    n += snprintf(out + n, sizeof out - (size_t)n, "PING\r\n");
    return app_send(fd, out, (size_t)n) < 0 ? -1 : APP_NONE;
  }
  if (strcmp(msg, "PING") == 0) {
    if (app_send(fd, "PONG\r\n", 6) < 0) return -1;
    heartbeats_answered++;
    return APP_NONE;
  }
  if (strcmp(msg, "PONG") == 0) {
    if (conns[fd].state == SESSION && exts[fd].app_state == NATS_CONNECTING) return APP_ACCEPTED;
    heartbeats_answered++;
    return APP_NONE;
  }
  if (strncmp(msg, "-ERR", 4) == 0) {
    char why[200];
    snprintf(why, sizeof why, "nats: %.180s", msg);
    return refuse_session(fd, why);
  }
  if (strncmp(msg, "MSG ", 4) == 0 || strncmp(msg, "HMSG ", 5) == 0) {
    const char *last = strrchr(msg, ' ');
    app_skip_next = (uint64_t)strtoull(last ? last + 1 : "0", NULL, 10) + 2;
    return APP_PUSHED;
  }
  return APP_NONE; /* +OK, a later INFO */
}

/* --publish: a PUB to --subject, which every connection subscribed to (CONNECT's echo false: not back to us). */
static int nats_publish(char *out, size_t size, const char *payload, int len) {
  return snprintf(out, size, "PUB %s %d\r\n%.*s\r\n", nats_subject, len, len, payload);
}

static const char *nats_publish_refusal(void) {
  return nats_subject && !strpbrk(nats_subject, "*> ") ? NULL : "--app nats needs a plain --subject (no * or >) to publish to";
}

static const struct app app_nats = {
  .name = "nats", .option = nats_option, .start = nats_start, .on_text = nats_on_text, .publish = nats_publish,
  .publish_refusal = nats_publish_refusal, .lines = 1, .binary = 1,
};

#endif
