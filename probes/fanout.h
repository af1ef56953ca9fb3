/*
 * The fan-out message both programs agree on: a payload that starts (or, from a user's server,
 * contains) "c1m-fanout SEQ SENT_US " where SENT_US is CLOCK_MONOTONIC in microseconds when the
 * sender began sending it. CLOCK_MONOTONIC is one clock for every process of a boot (network
 * namespaces do not change it; only a time namespace would, and c1m makes none), and unlike
 * CLOCK_REALTIME it is never stepped by NTP or date(1): a delay read by another process on the
 * same host is the real one. It is not comparable across hosts, so sender and receiver must share
 * one kernel.
 */
#ifndef C1M_FANOUT_H
#define C1M_FANOUT_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#define FANOUT_TOKEN "c1m-fanout "
#define FANOUT_TOKEN_LEN (sizeof FANOUT_TOKEN - 1)
/* The head "c1m-fanout SEQ SENT_US " is at most this long. */
#define FANOUT_HEAD_MAX 48

static inline long long fanout_clock_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* The head of broadcast seq sent at sent_us, into out (FANOUT_HEAD_MAX bytes); its length. */
static inline int fanout_head(char *out, long seq, long long sent_us) {
  return snprintf(out, FANOUT_HEAD_MAX, FANOUT_TOKEN "%ld %lld ", seq, sent_us);
}

#endif
