/*
 * Fan-out on the client: a message the server pushes that carries "c1m-fanout SEQ SENT_US "
 * (fanout.h; sent by the bundled server's broadcast or c1m's --publish through a user's server)
 * is timed from SENT_US to its receipt on CLOCK_MONOTONIC, into a histogram of its broadcast
 * (hist.h's buckets). The last FANOUT_SLOTS broadcasts are kept; a message of an older one is
 * counted late. The command "fanout" prints them:
 *   {"event":"fanout","received":N,"late":L,"broadcasts":"SEQ SENT_US GOT MIN_MS MAX_MS HIST;..."}
 * HIST in hist.h's "BUCKET:COUNT,..." form, broadcasts in the order of SEQ.
 */
#ifndef C1M_CLIENT_FANOUT_H
#define C1M_CLIENT_FANOUT_H

#include <stdlib.h>

#include "fanout.h"
#include "hist.h"

#define FANOUT_SLOTS 256
/* Only this many first bytes of a message are searched for the token. */
#define FANOUT_SCAN 512

struct fanout_slot { long seq; long long sent_us; double min_ms; struct hist h; };
static struct fanout_slot *fanout_slots; /* made at the first message with the token */
static unsigned long long fanout_received, fanout_late;

/* A pushed message's first n bytes (or all of it): timed when it carries the token. */
static void fanout_note(const unsigned char *p, size_t n) {
  if (n > FANOUT_SCAN) n = FANOUT_SCAN;
  const unsigned char *t = memmem(p, n, FANOUT_TOKEN, FANOUT_TOKEN_LEN);
  if (!t) return;
  long long got_us = fanout_clock_us();
  char text[FANOUT_HEAD_MAX];
  size_t left = n - (size_t)(t - p) - FANOUT_TOKEN_LEN, k = left < sizeof text - 1 ? left : sizeof text - 1;
  memcpy(text, t + FANOUT_TOKEN_LEN, k);
  text[k] = 0;
  long seq;
  long long sent_us;
  if (sscanf(text, "%ld %lld", &seq, &sent_us) != 2 || seq < 1 || sent_us < 0) return;
  if (!fanout_slots && !(fanout_slots = calloc(FANOUT_SLOTS, sizeof *fanout_slots))) return;
  struct fanout_slot *s = &fanout_slots[seq % FANOUT_SLOTS];
  if (s->seq > seq) { fanout_late++; return; }
  if (s->seq != seq) {
    memset(s, 0, sizeof *s);
    s->seq = seq;
    s->sent_us = sent_us;
  }
  double seconds = got_us > sent_us ? (double)(got_us - sent_us) / 1e6 : 0;
  if (s->h.total == 0 || seconds * 1000 < s->min_ms) s->min_ms = seconds * 1000;
  hist_add(&s->h, seconds);
  fanout_received++;
}

static int fanout_by_seq(const void *a, const void *b) {
  long x = (*(struct fanout_slot *const *)a)->seq, y = (*(struct fanout_slot *const *)b)->seq;
  return (x > y) - (x < y);
}

static void fanout_print(void) {
  printf("{\"event\":\"fanout\",\"received\":%llu,\"late\":%llu,\"broadcasts\":\"", fanout_received, fanout_late);
  struct fanout_slot *order[FANOUT_SLOTS];
  int n = 0;
  for (int i = 0; fanout_slots && i < FANOUT_SLOTS; i++) if (fanout_slots[i].seq) order[n++] = &fanout_slots[i];
  qsort(order, (size_t)n, sizeof *order, fanout_by_seq);
  for (int i = 0; i < n; i++) {
    const struct fanout_slot *s = order[i];
    printf("%s%ld %lld %lu %.3f %.3f ", i ? ";" : "", s->seq, s->sent_us, s->h.total, s->min_ms, s->h.max_ms);
    for (int b = 0, first = 1; b < HIST_BUCKETS; b++) {
      if (!s->h.count[b]) continue;
      printf("%s%d:%lu", first ? "" : ",", b, s->h.count[b]);
      first = 0;
    }
  }
  printf("\"}\n");
  fflush(stdout);
}

#endif
