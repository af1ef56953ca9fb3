/*
 * A latency histogram with 8 buckets per doubling of microseconds (each about 9% wide), so that
 * the clients' histograms can be added up and read for p50 and p99 by c1m (core/probe/latency.ts
 * reads the same buckets). Bucket 0 holds times under 1 us; bucket b >= 1 holds
 * [2^((b-1)/8), 2^(b/8)) us. The maximum is kept exactly.
 */
#ifndef C1M_HIST_H
#define C1M_HIST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HIST_BUCKETS 320
struct hist { unsigned long count[HIST_BUCKETS]; double max_ms; unsigned long total; };

static void hist_reset(struct hist *h) { memset(h, 0, sizeof *h); }

/* The bucket of a time in seconds. */
static int hist_bucket(double seconds) {
  double us = seconds * 1e6;
  int b = us < 1 ? 0 : (int)floor(log2(us) * 8) + 1;
  return b >= HIST_BUCKETS ? HIST_BUCKETS - 1 : b;
}

/* A time in seconds whose bucket b is found already (one log2 for two histograms). */
static void hist_put(struct hist *h, int b, double seconds) {
  h->count[b]++;
  h->total++;
  if (seconds * 1000 > h->max_ms) h->max_ms = seconds * 1000;
}

static void hist_add(struct hist *h, double seconds) { hist_put(h, hist_bucket(seconds), seconds); }

/* The populated buckets as BUCKET:COUNT,... (the body of a JSON string). */
static void hist_print_buckets(const struct hist *h) {
  int first = 1;
  for (int b = 0; b < HIST_BUCKETS; b++) {
    if (!h->count[b]) continue;
    printf("%s%d:%lu", first ? "" : ",", b, h->count[b]);
    first = 0;
  }
}

/* As JSON fields: "openHist":"BUCKET:COUNT,...","openMaxMs":M (no leading comma). */
static void hist_print(const struct hist *h) {
  printf("\"openHist\":\"");
  hist_print_buckets(h);
  printf("\",\"openMaxMs\":%.3f", h->max_ms);
}

#endif
