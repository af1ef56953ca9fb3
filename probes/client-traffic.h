/*
 * Traffic on open connections and its echo latency. Two schedules: rounds (--interval), every
 * connection sends at once each interval; or a rate (--rate), one connection after the other,
 * each in its turn, `rate` messages a second in all.
 *
 * Each message is timed from when it was DUE (the round's scheduled tick, the connection's
 * scheduled slot), not from when it was written: a client that falls behind (a long round, a
 * busy loop) still counts the wait, so it cannot hide a slow server (wrk2's correction of
 * coordinated omission). Per connection this costs nothing new: struct conn's started_us, which
 * only the opening used, holds when its oldest unanswered message was due, and `unanswered`
 * counts its messages in flight. Echoes on one connection come back in order; when one comes
 * and more are in flight, the next is taken as due one period later (the connection's spacing),
 * never later than it was, so a figure can only be high, never low.
 *
 * A message is lost when its echo has not come by the end of the traffic (the 10 s wait after
 * "traffic 0 0"), or when its connection closed first. A connection with 255 messages in flight
 * sends no more; each message it should have sent is counted lost.
 */
#ifndef C1M_CLIENT_TRAFFIC_H
#define C1M_CLIENT_TRAFFIC_H

#include "client-loop.h"
#include "traffic-latency.h"

static long traffic_size, traffic_interval_ms, traffic_rounds, traffic_write_failed;
static size_t traffic_wire;
static double next_tick;    /* the next round's, or the next slot's, scheduled time (now()) */
static long rate_cursor;    /* --rate: the descriptor whose turn is next */

/* The message on fd, due at due_us. A short write counts as failed. */
static void traffic_send(int fd, uint32_t due_us) {
  struct conn *c = &conns[fd];
  if (c->unanswered == 255) { traffic_lost++; return; }
  size_t wire = traffic_wire;
  const char *message = proto->traffic_packet ? proto->traffic_packet(fd, (size_t)traffic_size, &wire) : traffic_buf;
  ssize_t n = conn_write(fd, message, wire);
  if (n == (ssize_t)wire) {
    bytes_sent += (unsigned long long)traffic_size;
    if (!c->unanswered++) c->started_us = due_us;
    return;
  }
  traffic_write_failed++;
  if (proto->stream_writes && !exts[fd].ssl) { if (n > 0) bytes_sent += (unsigned long long)n; traffic_lost++; return; }
  /* Half a frame, packet or TLS record cannot be taken back: the connection's stream is broken. */
  note_error("traffic write", n < 0 ? errno : EAGAIN);
  failed++;
  drop(fd, 1);
  traffic_lost++;
}

/* The scheduled time t (now()'s clock) on the clock of clock_us. */
static uint32_t due_at(double t) { return (uint32_t)(uint64_t)((t - clock_start) * 1e6); }

/* One round: the message on every open connection, all due at the round's scheduled tick. */
static void traffic_round(void) {
  uint32_t due = due_at(next_tick);
  for (long fd = 0; fd < fd_slots; fd++) {
    if (conns[fd].state == OPEN) traffic_send((int)fd, due);
  }
  traffic_rounds++;
  next_tick += (double)traffic_interval_ms / 1000;
  if (next_tick < now()) next_tick = now(); /* a round longer than the interval: go on at once, no backlog */
}

/* --rate: the slots due by now, each on the next open connection in turn; at most one pass. */
static void traffic_slots(void) {
  double t = now();
  long sent = 0, scanned = 0;
  while (next_tick <= t && sent < established && scanned < fd_slots) {
    long fd = rate_cursor;
    rate_cursor = (rate_cursor + 1) % fd_slots;
    scanned++;
    if (conns[fd].state != OPEN) continue;
    traffic_send((int)fd, due_at(next_tick));
    next_tick += 1 / traffic_rate;
    sent++;
    scanned = 0;
  }
  if (next_tick < t - 1) next_tick = t; /* more than a second behind: no backlog beyond one pass */
}

/* Milliseconds until the next round or slot (sending what is due), or -1 when there is no traffic. */
static int idle_timeout(void) {
  if (!traffic_size) return -1;
  if (next_tick <= now()) { if (traffic_rate > 0) traffic_slots(); else traffic_round(); }
  double left = next_tick - now();
  return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

/* The messages still in flight are lost; every connection starts clean. */
static void traffic_settle(void) {
  for (long fd = 0; fd < fd_slots; fd++) {
    traffic_lost += conns[fd].unanswered;
    conns[fd].unanswered = 0;
  }
}

/*
 * "traffic SIZE MS [RATE]": from now on SIZE bytes on every connection every MS milliseconds, or
 * with RATE > 0 that many messages a second spread over the connections; SIZE 0 stops, waits up
 * to 10 s for the echoes in flight, and reports.
 */
static void traffic(long size, long interval_ms, double rate) {
  if (size > 0) {
    traffic_size = size > MAX_TRAFFIC ? MAX_TRAFFIC : size;
    traffic_rate = rate > 0 ? rate : 0;
    traffic_interval_ms = traffic_rate > 0 ? 0 : interval_ms < 1 ? 1 : interval_ms;
    double period = traffic_rate > 0 ? (double)(established ? established : 1) / traffic_rate : (double)traffic_interval_ms / 1000;
    traffic_period_us = period * 1e6 > 4e9 ? 4000000000u : (uint32_t)(period * 1e6);
    traffic_echo_len = traffic_size;
    unsigned char *out = (unsigned char *)traffic_buf;
    if (proto->traffic_message) {
      traffic_wire = proto->traffic_message(out, (size_t)traffic_size);
    } else {
      traffic_wire = (size_t)traffic_size;
      memset(out, 'x', traffic_wire);
    }
    traffic_settle();
    traffic_rounds = traffic_write_failed = 0;
    bytes_sent = bytes_received = 0;
    traffic_lost = 0;
    traffic_latency_reset();
    next_tick = now();
  } else {
    traffic_size = 0;
    double deadline = now() + 10;
    while (bytes_received < bytes_sent && now() < deadline) poll_once(50);
    traffic_settle();
  }
  print_traffic(traffic_size, traffic_interval_ms, traffic_rounds, traffic_write_failed);
}

#endif
