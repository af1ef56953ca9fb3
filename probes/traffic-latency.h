/*
 * The echo latency of traffic (client-traffic.h says when messages are due): a histogram of each
 * message's time from when it was due to its echo, in hist.h's buckets, and the messages lost.
 * A second histogram holds the same since the last "latency" command (a window): c1m reads it
 * every few seconds while traffic flows, for latency against time; the first is the whole run's.
 */
#ifndef C1M_TRAFFIC_LATENCY_H
#define C1M_TRAFFIC_LATENCY_H

#include "client.h"

static struct hist traffic_hist;
static struct hist window_hist;              /* since the last "latency" (or the traffic's start) */
static unsigned long long window_lost_from;  /* traffic_lost when the window began */
static uint32_t traffic_period_us; /* a connection's spacing between messages */
static double traffic_rate;        /* --rate: messages a second in all, spread over the connections */

/* Traffic starts: both histograms and the window begin anew (traffic_lost is reset by the caller). */
static void traffic_latency_reset(void) {
  hist_reset(&traffic_hist);
  hist_reset(&window_hist);
  window_lost_from = 0;
}

/* An echo of traffic came whole on fd: its time since it was due goes into the histograms. */
static void traffic_echoed(int fd) {
  struct conn *c = &conns[fd];
  if (!c->unanswered) return;
  double seconds = (uint32_t)(clock_us() - c->started_us) / 1e6;
  int b = hist_bucket(seconds);
  hist_put(&traffic_hist, b, seconds);
  hist_put(&window_hist, b, seconds);
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
  hist_print_buckets(&traffic_hist);
  printf("\",\"latencyMaxMs\":%.3f,\"lost\":%llu,\"rate\":%.3f", traffic_hist.max_ms, traffic_lost, traffic_rate);
}

/*
 * "latency": the window since the last "latency" (or the traffic's start), without stopping the
 * traffic: its histogram, its maximum and the messages lost in it; the next window starts now.
 */
static void latency_window(void) {
  printf("{\"event\":\"latency\",\"latencyHist\":\"");
  hist_print_buckets(&window_hist);
  printf("\",\"latencyMaxMs\":%.3f,\"lost\":%llu}\n", window_hist.max_ms, traffic_lost - window_lost_from);
  fflush(stdout);
  hist_reset(&window_hist);
  window_lost_from = traffic_lost;
}

#endif
