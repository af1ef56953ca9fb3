/*
 * --app generic: any text protocol. --send TEXT (repeatable) goes out in order once the transport
 * is open, or after the server's first message with --greeting; {n} and {id} are the connection's
 * number and a unique id. The connection counts once a message equals --expect TEXT (or matches
 * --expect-regex, POSIX extended), or when the sends went out without --expect. --reply
 * 'MATCH=>ANSWER' (or --reply-regex) answers a message equal to MATCH at any time: a heartbeat
 * answered. Other messages before the session is accepted are ignored; after it, pushed.
 */
#ifndef C1M_APP_GENERIC_H
#define C1M_APP_GENERIC_H

#include <regex.h>

#include "client-app.h"

#define GENERIC_MAX 16
static const char *generic_sends[GENERIC_MAX];
static int generic_nsends, generic_greeting;
static const char *generic_expect;
static regex_t generic_expect_re;
static int generic_expect_is_re;
static struct { char match[512]; const char *answer; int is_re; regex_t re; } generic_replies[GENERIC_MAX];
static int generic_nreplies;

/* app_state: the greeting is awaited (0 with --greeting), the sends went out (1). */
enum { GENERIC_GREETING, GENERIC_SENT };

static int generic_option(const char *name, const char *value) {
  if (strcmp(name, "--send") == 0) {
    if (generic_nsends == GENERIC_MAX || strlen(value) > APP_MSG_MAX / 2) return -1;
    generic_sends[generic_nsends++] = value;
    return 1;
  }
  if (strcmp(name, "--expect") == 0 || strcmp(name, "--expect-regex") == 0) {
    generic_expect = value;
    generic_expect_is_re = name[8] == '-';
    return !generic_expect_is_re || regcomp(&generic_expect_re, value, REG_EXTENDED | REG_NOSUB) == 0 ? 1 : -1;
  }
  if (strcmp(name, "--reply") == 0 || strcmp(name, "--reply-regex") == 0) {
    const char *arrow = strstr(value, "=>");
    if (!arrow || generic_nreplies == GENERIC_MAX || arrow - value >= 512) return -1;
    int i = generic_nreplies++;
    memcpy(generic_replies[i].match, value, (size_t)(arrow - value));
    generic_replies[i].answer = arrow + 2;
    generic_replies[i].is_re = name[7] == '-';
    if (generic_replies[i].is_re && regcomp(&generic_replies[i].re, generic_replies[i].match, REG_EXTENDED | REG_NOSUB) != 0) return -1;
    return 1;
  }
  return 0;
}

static int generic_matches(const char *msg, const char *text, int is_re, const regex_t *re) {
  return is_re ? regexec(re, msg, 0, NULL, 0) == 0 : strcmp(msg, text) == 0;
}

/* A message: a frame over WebSocket, a line (CRLF-ended) over raw TCP or TLS. */
static int generic_send(int fd, const char *text) {
  char out[APP_MSG_MAX];
  size_t n = app_expand(fd, text, out, sizeof out - 2);
  if (!proto->ws_frames) { out[n++] = '\r'; out[n++] = '\n'; }
  return app_send(fd, out, n);
}

/* Every --send, then the session counts at once unless --expect waits for a message. */
static int generic_send_all(int fd) {
  exts[fd].app_state = GENERIC_SENT;
  for (int i = 0; i < generic_nsends; i++) {
    if (generic_send(fd, generic_sends[i]) < 0) return -1;
  }
  return generic_expect ? APP_NONE : APP_ACCEPTED;
}

static int generic_start(int fd) { return generic_greeting ? APP_NONE : generic_send_all(fd); }

static int generic_on_text(int fd, const char *msg, size_t len) {
  (void)len;
  for (int i = 0; i < generic_nreplies; i++) {
    if (!generic_matches(msg, generic_replies[i].match, generic_replies[i].is_re, &generic_replies[i].re)) continue;
    if (generic_send(fd, generic_replies[i].answer) < 0) return -1;
    heartbeats_answered++;
    return APP_NONE;
  }
  if (conns[fd].state != SESSION) return APP_PUSHED;
  if (exts[fd].app_state == GENERIC_GREETING) {
    int rc = generic_send_all(fd);
    /* With nothing to send, the greeting itself may be what --expect waits for. */
    if (rc != APP_NONE || generic_nsends > 0) return rc;
  }
  if (generic_matches(msg, generic_expect, generic_expect_is_re, &generic_expect_re)) return APP_ACCEPTED;
  return APP_NONE;
}

static const struct app app_generic = {
  .name = "generic", .option = generic_option, .start = generic_start, .on_text = generic_on_text,
};

#endif
