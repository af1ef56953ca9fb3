/*
 * Known answers for the native client's STOMP 1.2 and Phoenix V2 readers (probes/stomp.h,
 * phoenix.h), with frames as RabbitMQ and Phoenix write them. Built and run under the sanitizers by
 * test/probe-session-codecs.test.ts: "ok NAME" per check, "not ok NAME: WHY" for a failure, exit 1
 * when any failed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoenix.h"
#include "stomp.h"

static int failures;

static void check(int ok, const char *name, const char *why) {
  if (ok) printf("ok %s\n", name);
  else { printf("not ok %s: %s\n", name, why); failures++; }
}

/* A copy in its own allocation, so the sanitizer sees any read past the end. */
static char *copy(const char *text, size_t len) {
  char *out = malloc(len ? len : 1);
  memcpy(out, text, len);
  return out;
}

static void test_stomp_frames(void) {
  static const char connected[] = "CONNECTED\nserver:RabbitMQ/3.10.8\nsession:session-x\nheart-beat:10000,10000\nversion:1.2\n\n\0\n";
  size_t total = sizeof connected - 1, nul = total - 2, used = 0;
  struct stomp_frame f;
  char value[64] = "", why[160] = "";
  int all = 1;
  /* Every prefix short of the NUL is a frame cut short; the whole one is read, with its EOL. */
  for (size_t split = 1; split <= total; split++) {
    char *buf = copy(connected, split);
    int rc = stomp_parse(buf, split, &f, &used);
    int want = split <= nul ? -1 : 1;
    if (rc != want || (rc == 1 && used != split)) { snprintf(why, sizeof why, "split at %zu: %d, used %zu", split, rc, used); all = 0; }
    free(buf);
  }
  check(all, "stomp CONNECTED cut at every offset", why);
  char *buf = copy(connected, total);
  int rc = stomp_parse(buf, total, &f, &used);
  check(rc == 1 && stomp_is(&f, "CONNECTED") && stomp_header(&f, "heart-beat", value, sizeof value) && strcmp(value, "10000,10000") == 0 && f.body_len == 0, "stomp CONNECTED's heart-beat header", value);
  check(!stomp_header(&f, "heart", value, sizeof value) && !stomp_header(&f, "message", value, sizeof value), "stomp header names match whole", value);
  free(buf);

  static const char error[] = "ERROR\r\nmessage:Bad CONNECT\r\ncontent-type:text/plain\r\ncontent-length:32\r\n\r\nAccess refused for user 'guest'\n\0\n";
  buf = copy(error, sizeof error - 1);
  rc = stomp_parse(buf, sizeof error - 1, &f, &used);
  check(rc == 1 && stomp_is(&f, "ERROR") && stomp_header(&f, "message", value, sizeof value) && strcmp(value, "Bad CONNECT") == 0 && f.body_len == 32 && memcmp(f.body, "Access refused", 14) == 0 && used == sizeof error - 1, "stomp ERROR with CRLF lines and content-length", value);
  free(buf);

  static const char two[] = "\n\r\nMESSAGE\ncontent-length:5\n\nhe\0lo\0MESSAGE\ndestination:/topic/x\n\nsecond\0";
  buf = copy(two, sizeof two - 1);
  rc = stomp_parse(buf, sizeof two - 1, &f, &used);
  int first = rc == 1 && stomp_is(&f, "MESSAGE") && f.body_len == 5 && memcmp(f.body, "he\0lo", 5) == 0;
  rc = stomp_parse(buf + used, sizeof two - 1 - used, &f, &used);
  check(first && rc == 1 && f.body_len == 6 && stomp_header(&f, "destination", value, sizeof value) && strcmp(value, "/topic/x") == 0, "stomp two MESSAGEs in one message, a NUL in a counted body", value);
  free(buf);

  static const char *const beats[] = {"\n", "\r\n", "\n\n\r\n"};
  all = 1;
  for (size_t i = 0; i < 3; i++) {
    buf = copy(beats[i], strlen(beats[i]));
    if (stomp_parse(buf, strlen(beats[i]), &f, &used) != 0 || used != strlen(beats[i])) all = 0;
    free(buf);
  }
  check(all, "stomp EOL heart-beats are no frame", "");

  static const char *const bad[] = {"CONNECTED", "CONNECTED\nversion:1.2\0", "MESSAGE\ncontent-length:9\n\nshort\0", "MESSAGE\ncontent-length:x\n\nbody\0", "MESSAGE\nna\0me:v\n\nbody\0"};
  all = 1;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    size_t n = strlen(bad[i]) + (i ? 1 + strlen(bad[i] + strlen(bad[i]) + 1) : 0);
    buf = copy(bad[i], n);
    if (stomp_parse(buf, n, &f, &used) != -1) { snprintf(why, sizeof why, "case %zu read", i); all = 0; }
    free(buf);
  }
  check(all, "stomp malformed frames refused", why);
}

static void test_stomp_heart_beat(void) {
  static const struct { unsigned long cx; const char *server; unsigned long want; } cases[] = {
    {10000, "10000,10000", 10000}, {10000, "0,0", 0}, {0, "1000,1000", 0}, {1000, "0,5000", 5000}, {10000, "2000,2000", 10000}, {10000, "garbage", 0},
  };
  int all = 1;
  char why[80] = "";
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    unsigned long got = stomp_send_every(cases[i].cx, cases[i].server);
    if (got != cases[i].want) { snprintf(why, sizeof why, "%lu with %s: %lu", cases[i].cx, cases[i].server, got); all = 0; }
  }
  check(all, "stomp heart-beat send interval (STOMP 1.2 negotiation)", why);
  char out[64];
  check(stomp_escape("/topic/a:b\\c", out, sizeof out) && strcmp(out, "/topic/a\\cb\\\\c") == 0, "stomp header escapes", out);
  check(stomp_escape("/topic/long", out, 8) == 0, "stomp escape that does not fit", out);
}

static int span_is(struct phx_span s, const char *text) { return s.len == strlen(text) && memcmp(s.at, text, s.len) == 0; }

static void test_phoenix(void) {
  struct phx_span m[PHX_PARTS];
  static const char ok[] = "[\"1\",\"1\",\"room:lobby\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]";
  char *buf = copy(ok, sizeof ok - 1);
  check(phx_split(buf, sizeof ok - 1, m) && phx_is(m[PHX_REF], "1") && phx_is(m[PHX_TOPIC], "room:lobby") && phx_is(m[PHX_EVENT], "phx_reply") && phx_is(phx_member(m[PHX_PAYLOAD], "status"), "ok") && span_is(phx_member(m[PHX_PAYLOAD], "response"), "{}"), "phoenix join reply ok", ok);
  free(buf);

  static const char spaced[] = " [null, \"5\", \"phoenix\", \"phx_reply\", {\"response\": {}, \"status\": \"ok\"}] ";
  buf = copy(spaced, sizeof spaced - 1);
  check(phx_split(buf, sizeof spaced - 1, m) && span_is(m[PHX_JOIN_REF], "null") && !phx_is(m[PHX_JOIN_REF], "null") && phx_is(m[PHX_REF], "5") && phx_is(phx_member(m[PHX_PAYLOAD], "status"), "ok"), "phoenix heartbeat reply with spaces", spaced);
  free(buf);

  static const char refused[] = "[\"1\",\"1\",\"room:secret\",\"phx_reply\",{\"response\":{\"reason\":\"unauthorized\"},\"status\":\"error\"}]";
  buf = copy(refused, sizeof refused - 1);
  check(phx_split(buf, sizeof refused - 1, m) && phx_is(phx_member(m[PHX_PAYLOAD], "status"), "error") && span_is(phx_member(m[PHX_PAYLOAD], "response"), "{\"reason\":\"unauthorized\"}"), "phoenix join refused, its response", refused);
  free(buf);

  static const char push[] = "[\"1\",null,\"room:lobby\",\"new_msg\",{\"body\":\"a \\\"]\\\" b\",\"n\":[1,{\"x\":\"}\"}],\"status\":\"ok\"}]";
  buf = copy(push, sizeof push - 1);
  check(phx_split(buf, sizeof push - 1, m) && phx_is(m[PHX_EVENT], "new_msg") && span_is(m[PHX_REF], "null") && m[PHX_PAYLOAD].at + m[PHX_PAYLOAD].len == buf + sizeof push - 2 && phx_is(phx_member(m[PHX_PAYLOAD], "status"), "ok"), "phoenix push with brackets and quotes in strings", push);
  free(buf);

  static const char *const bad[] = {"{\"topic\":\"x\"}", "[\"1\",\"1\",\"t\",\"e\"]", "[\"1\",\"1\",\"t\",\"e\",{},6]", "[\"1\",\"1\",\"t\",\"e\",{\"a\":\"b}", "", "[\"1\",,\"t\",\"e\",{}]"};
  int all = 1;
  char why[80] = "";
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    buf = copy(bad[i], strlen(bad[i]));
    if (phx_split(buf, strlen(bad[i]), m)) { snprintf(why, sizeof why, "read %s", bad[i]); all = 0; }
    free(buf);
  }
  check(all, "phoenix messages that are not V2 are refused", why);
}

int main(void) {
  test_stomp_frames();
  test_stomp_heart_beat();
  test_phoenix();
  return failures ? 1 : 0;
}
