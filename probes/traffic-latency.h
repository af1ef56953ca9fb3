/*
 * The echo latency of traffic (client-traffic.h says when messages are due): a histogram of each
 * message's time from when it was due to its echo, in hist.h's buckets, and the messages lost.
 */
#ifndef C1M_TRAFFIC_LATENCY_H
#define C1M_TRAFFIC_LATENCY_H

#include "client.h"

static struct hist traffic_hist;
static uint32_t traffic_period_us; /* a connection's spacing between messages */
static double traffic_rate;        /* --rate: messages a second in all, spread over the connections */

/* An echo of traffic came whole on fd: its time since it was due goes into the histogram. */
static void traffic_echoed(int fd) {
  struct conn *c = &conns[fd];
  if (!c->unanswered) return;
  hist_add(&traffic_hist, (uint32_t)(clock_us() - c->started_us) / 1e6);
  if (--c->unanswered) c->started_us += traffic_period_us;
}

/* Raw TCP: n bytes of echo on fd; every traffic_size of them is one message's echo. */
static void traffic_tcp_bytes(int fd, ssize_t n) {
  if (!traffic_echo_len) return;
  uint64_t got = (uint64_t)exts[fd].echo_part + (uint64_t)n;
  while (got >= (uint64_t)traffic_echo_len && conns[fd].unanswered) { got -= (uint64_t)traffic_echo_len; traffic_echoed(fd); }
  exts[fd].echo_part = (uint32_t)(conns[fd].unanswered ? got : 0);
}

/* As JSON fields: "latencyHist":"...","latencyMaxMs":M,"lost":N (no leading comma). */
static void print_traffic_latency(void) {
  printf("\"latencyHist\":\"");
  int first = 1;
  for (int b = 0; b < HIST_BUCKETS; b++) {
    if (!traffic_hist.count[b]) continue;
    printf("%s%d:%lu", first ? "" : ",", b, traffic_hist.count[b]);
    first = 0;
  }
  printf("\",\"latencyMaxMs\":%.3f,\"lost\":%llu,\"rate\":%.3f", traffic_hist.max_ms, traffic_lost, traffic_rate);
}

#endif
